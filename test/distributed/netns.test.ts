/**
 * Data-parallel SGD over a real network hop: two network namespaces on this machine joined by a veth
 * pair with addresses in a private /30 (10.203.0.1 and 10.203.0.2) that exist only inside them. Needs
 * root and `ip netns`; skipped with a message otherwise. The namespaces are removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../helpers/fixtures.js';
import { nodeTs, readOut, runRanks } from './helpers.js';

const tag = String(process.pid % 100000);
const ns = [`mlxt-dp0-${tag}`, `mlxt-dp1-${tag}`];
const dev = [`mlxtv0-${tag}`, `mlxtv1-${tag}`];
const ips = ['10.203.0.1', '10.203.0.2'];
let unavailable: string | undefined;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

function txBytes(i: number): number {
  const r = spawnSync('ip', ['-n', ns[i], '-s', '-j', 'link', 'show', dev[i]], { encoding: 'utf8' });
  return JSON.parse(r.stdout)[0].stats64.tx.bytes as number;
}

beforeAll(() => {
  try {
    ip('netns', 'add', ns[0]);
  } catch (err) {
    unavailable = `ip netns is not permitted here (${(err as Error).message}); skipping the two-namespace test`;
    return;
  }
  ip('netns', 'add', ns[1]);
  ip('link', 'add', dev[0], 'type', 'veth', 'peer', 'name', dev[1]);
  for (const i of [0, 1]) {
    ip('link', 'set', dev[i], 'netns', ns[i]);
    ip('-n', ns[i], 'addr', 'add', `${ips[i]}/30`, 'dev', dev[i]);
    ip('-n', ns[i], 'link', 'set', dev[i], 'up');
    ip('-n', ns[i], 'link', 'set', 'lo', 'up');
  }
});

afterAll(() => {
  for (const n of ns) spawnSync('ip', ['netns', 'del', n]);
});

describe('two network namespaces joined by a veth pair', () => {
  it('2 ranks across the hop reach the single-process Python MLX weights (per-parameter all-reduce)', async (ctx) => {
    if (unavailable) {
      console.warn(unavailable);
      ctx.skip();
      return;
    }
    const fixture = loadFixture<{ w: { data: number[] }; b: { data: number[] } }>('distributed').cases[0];
    const before = txBytes(0) + txBytes(1);
    const node = nodeTs('sgd-rank.ts').map((a) => `'${a}'`).join(' ');
    // Each rank runs inside its own namespace; the ring hostfile names the veth addresses.
    const ran = await runRanks(['/bin/sh', '-c', `exec ip netns exec mlxt-dp$MLX_RANK-${tag} ${node}`], {
      hosts: [0, 1].map((i) => ({ ssh: '127.0.0.1', ips: [ips[i]] })),
      env: ['FLATTEN=0'],
      collectiveTimeoutMs: 60_000,
    });
    expect(ran.exitCode, ran.stderr).toBe(0);
    for (const r of [0, 1]) {
      const out = readOut<{ size: number; w: number[][]; b: number[] }>(ran.outDir, `sgd-2-${r}.json`);
      expect(out.size).toBe(2);
      const diffs = [...out.w.flat().map((v, i) => v - fixture.w.data[i]), ...out.b.map((v, i) => v - fixture.b.data[i])];
      expect(Math.max(...diffs.map(Math.abs))).toBeLessThanOrEqual(1e-5);
    }
    // The gradients really crossed the veth pair.
    expect(txBytes(0) + txBytes(1) - before).toBeGreaterThan(1000);
  }, 240_000);
});
