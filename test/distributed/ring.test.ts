/**
 * Real multi-process runs on MLX's ring backend over loopback, started through the launcher:
 * collectives against Python MLX (a Python rank in the same ring), data-parallel SGD against a
 * single-process Python MLX reference, and a peer that dies or stalls.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFixture } from '../helpers/fixtures.js';
import { childrenDir, nodeTs, python, readOut, runRanks } from './helpers.js';

type Results = { rank: number; size: number; sum: number[][]; gathered: number[]; max: number[][]; min: number[][]; ints: number[]; received: number[] };

const sgd = loadFixture<{ w: { data: number[] }; b: { data: number[] }; losses: number[]; steps: number }>('distributed').cases[0];
const close = (actual: number[], expected: number[], atol = 1e-5) => {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((a, i) => Math.abs(a - expected[i])));
  expect(worst, `max abs diff ${worst}`).toBeLessThanOrEqual(atol);
};

describe('ring backend on loopback', () => {
  it('allSum, allGather, allMax, allMin, send/recv agree between a Node rank and a Python MLX rank', async () => {
    const py = python();
    if (!existsSync(py)) throw new Error(`Python MLX is needed for this test: ${py} is missing (the vitest global setup creates .venv)`);
    // Rank 0 is this package, rank 1 is Python MLX running the same ops on the same inputs.
    const node = nodeTs('collectives.ts').map((a) => `'${a}'`).join(' ');
    const ran = await runRanks(['/bin/sh', '-c', `if [ "$MLX_RANK" = 0 ]; then exec ${node}; else exec '${py}' '${childrenDir}/collectives.py'; fi`], { collectiveTimeoutMs: 60_000 });
    expect(ran.exitCode, ran.stderr).toBe(0);
    const mine = readOut<Results & { isMain: boolean; worldSize: number; gatheredShape: number[]; intsDtype: string; splitError: string }>(ran.outDir, 'rank-0.json');
    const theirs = readOut<Results>(ran.outDir, 'py-rank-1.json');
    expect([mine.rank, mine.size, mine.worldSize, mine.isMain]).toEqual([0, 2, 2, true]);
    expect([theirs.rank, theirs.size]).toEqual([1, 2]);
    for (const key of ['sum', 'gathered', 'max', 'min', 'ints'] as const) expect(mine[key], key).toEqual(theirs[key]);
    expect(mine.gatheredShape).toEqual([4]);
    expect(mine.intsDtype).toBe('int32');
    // Each rank received its left neighbour's payload (rank 0's left is rank 1, and vice versa).
    expect(mine.received).toEqual([100, 101, 102]);
    expect(theirs.received).toEqual([0, 1, 2]);
    expect(mine.splitError).toMatch(/MlxError: .*\[ring\] Group split not supported/);
  }, 240_000);

  it('2 ranks with batch B each reach the weights of 1 process with batch 2B (Python MLX reference)', async () => {
    const ran = await runRanks(nodeTs('sgd-rank.ts'), { collectiveTimeoutMs: 60_000 });
    expect(ran.exitCode, ran.stderr).toBe(0);
    // The same script started alone: a world of one with the whole batch of 2B rows.
    const alone = mkdtempSync(join(tmpdir(), 'mlxt-dist-alone-'));
    const env: NodeJS.ProcessEnv = { ...process.env, OUT_DIR: alone };
    delete env.MLX_RANK;
    delete env.MLX_HOSTFILE;
    const [prog, ...args] = nodeTs('sgd-rank.ts');
    const single = spawnSync(prog, args, { env, encoding: 'utf8', timeout: 120_000 });
    expect(single.status, single.stderr).toBe(0);
    const one = readOut<{ size: number; rows: number; w: number[][]; b: number[]; losses: number[] }>(alone, 'sgd-1-0.json');
    expect([one.size, one.rows]).toEqual([1, 8]);
    close(one.w.flat(), sgd.w.data);
    for (const r of [0, 1]) {
      const out = readOut<{ size: number; rows: number; w: number[][]; b: number[]; losses: number[] }>(ran.outDir, `sgd-2-${r}.json`);
      expect([out.size, out.rows]).toEqual([2, 4]);
      close(out.w.flat(), sgd.w.data);
      close(out.b, sgd.b.data);
      close(out.losses, sgd.losses, 1e-4);
      close(out.w.flat(), one.w.flat());
      close(out.b, one.b);
    }
  }, 240_000);

  // MLX's ring backend races here: about 1 run in 5–6 on a loaded 2-core box (the code of 056dfb0 as well as
  // today's), it logs "Failing pending tasks" but the waiting eval never wakes, and the deadline ends rank 0
  // with exit 124 and its message (the bounded path the next test checks). Retried so that race is not read
  // as a failure of the prompt path this test is about.
  it('a rank that exits early makes the other fail with MLX’s "connection to a peer was lost", and the launcher reports it', { retry: 2, timeout: 240_000 }, async () => {
    const ran = await runRanks(nodeTs('early-exit.ts'), { collectiveTimeoutMs: 60_000 });
    expect(ran.stderr).toContain('[rank 1] rank 1 leaving early');
    expect(ran.stderr).toMatch(/\[rank 0\] caught: all-sum 0 failed: .*\[ring\] connection to a peer was lost/);
    expect(ran.ranks[0].code).toBe(3);
    expect(ran.exitCode).toBe(3);
    expect(ran.error).toBe('rank 0 exited with code 3; stopped the other ranks');
  });

  it('a peer that stays alive but silent trips the watchdog: exit 124 with a clear message, and the peer is stopped', async () => {
    const ran = await runRanks(nodeTs('early-exit.ts'), { collectiveTimeoutMs: 5_000, env: ['PEER=stall'] });
    expect(ran.stderr).toContain('[rank 0] mlx-train: distributed all-sum 0 did not finish within 5000 ms: a peer process has exited or is unreachable');
    expect(ran.exitCode).toBe(124);
    expect(ran.error).toBe('rank 0 timed out waiting for a peer (exit 124); stopped the other ranks');
    expect(ran.ranks[1]).toMatchObject({ stopped: true });
  }, 240_000);

  it('a peer that never joins makes init stop with exit 124 and a clear message instead of blocking in accept()', async () => {
    const node = nodeTs('collectives.ts').map((a) => `'${a}'`).join(' ');
    const ran = await runRanks(['/bin/sh', '-c', `if [ "$MLX_RANK" = 0 ]; then exec ${node}; else exec sleep 60; fi`], { collectiveTimeoutMs: 4_000 });
    expect(ran.stderr).toContain('[rank 0] mlx-train: distributed init (backend ring) did not finish within 4000 ms');
    expect(ran.exitCode).toBe(124);
    expect(ran.ranks[1]).toMatchObject({ stopped: true });
  }, 240_000);
});
