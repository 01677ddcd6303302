// Class-weighted cross-entropy over 2 ranks: each rank's shard has its own weight sum, so each rank must
// weigh its loss by its share of the global weight sum (loss-shares.ts) for the update to be the one of
// the whole batch in one process.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTs, readOut, runRanks } from './helpers.js';

type Out = { size: number; labelCounts: number[]; weights: Record<string, number[]> };

describe('class weights over ranks', () => {
  it('2 ranks with class weights reach the weights of 1 process with the whole batch', async () => {
    const ran = await runRanks(nodeTs('class-weights-rank.ts'), { collectiveTimeoutMs: 60_000 });
    expect(ran.exitCode, ran.stderr).toBe(0);
    const alone = mkdtempSync(join(tmpdir(), 'mlxt-cw-alone-'));
    const env: NodeJS.ProcessEnv = { ...process.env, OUT_DIR: alone };
    delete env.MLX_RANK;
    delete env.MLX_HOSTFILE;
    const [prog, ...args] = nodeTs('class-weights-rank.ts');
    const single = spawnSync(prog, args, { env, encoding: 'utf8', timeout: 120_000 });
    expect(single.status, single.stderr).toBe(0);
    const one = readOut<Out>(alone, 'class-weights-1-0.json');
    const ranks = [0, 1].map((r) => readOut<Out>(ran.outDir, `class-weights-2-${r}.json`));
    // The shards differ in class mix (so in weight sum) in some step: the case a per-rank mean gets wrong.
    expect(ranks[0].labelCounts.some((c, i) => c !== ranks[1].labelCounts[i])).toBe(true);
    for (const r of ranks) {
      let worst = 0;
      for (const [k, v] of Object.entries(one.weights)) v.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - r.weights[k][i]))));
      expect(worst, `max abs weight difference ${worst}`).toBeLessThan(1e-6);
    }
  }, 240_000);
});
