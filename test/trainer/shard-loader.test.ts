import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareData } from '../../src/data/index.js';
import { rank, worldSize } from '../../src/trainer/distributed.js';
import { shardLoader, shardPlan } from '../../src/trainer/shard-loader.js';
import { writeToyCsv } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-shard-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const data = () => prepareData({ trainPath: writeToyCsv(join(root, 'toy.csv'), 61), labelColumn: 'label', idColumn: 'id', cacheDir: null, validationSplit: 0.25, batching: { batchSize: 8 } });

describe('train data sharding', () => {
  it('leaves the single-process order unchanged', () => {
    expect(worldSize()).toBe(1);
    expect(rank()).toBe(0);
    const d = data();
    const loader = d.trainLoader();
    const expected = [0, 1].map((e) => d.trainLoader().plan(e));
    expect(shardLoader(loader, 0, 1)).toBe(loader);
    expect([0, 1].map((e) => loader.plan(e))).toEqual(expected);
  });

  it('gives each of 3 ranks its part of every shared-order batch, with equal step counts', () => {
    const d = data();
    const full = d.trainLoader().plan(1);
    const shards = [0, 1, 2].map((r) => shardLoader(d.trainLoader(), r, 3));
    const plans = shards.map((l) => l.plan(1));
    const kept = full.filter((b) => b.length >= 3);
    for (const p of plans) expect(p).toHaveLength(kept.length);
    kept.forEach((batch, i) => {
      expect([...plans[0][i], ...plans[1][i], ...plans[2][i]]).toEqual(batch);
      for (const p of plans) expect(Math.abs(p[i].length - batch.length / 3)).toBeLessThan(1);
    });
    expect(shards[1].numBatches(1)).toBe(kept.length);
    // The collated batches hold the shard's rows.
    const first = shards[2].hostBatches(1).next().value!;
    expect(first.size).toBe(plans[2][0].length);
    expect(shardPlan([[5, 6]], 0, 3)).toEqual([]);
  });
});
