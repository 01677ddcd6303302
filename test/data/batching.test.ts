// Batch plans (seeded, resumable, length-bucketed, token budget), collation and prefetch.
import { describe, expect, it } from 'vitest';
import { DataError, type EncodedExamples } from '../../src/data/index.js';
import { paddedLength, planBatches } from '../../src/data/batching.js';
import { collate } from '../../src/data/collate.js';
import { prefetch } from '../../src/data/prefetch.js';
import { SeededRandom } from '../../src/data/seeded-random.js';

const rng = new SeededRandom(99);
const lengths = Array.from({ length: 1000 }, () => 5 + rng.int(120));

function padding(batches: number[][], multiple = 1): number {
  let pad = 0;
  for (const b of batches) {
    const longest = paddedLength(Math.max(...b.map((i) => lengths[i])), multiple);
    for (const i of b) pad += longest - lengths[i];
  }
  return pad;
}

describe('planBatches', () => {
  it('covers every example exactly once per epoch', () => {
    for (const opts of [{}, { bucketByLength: false }, { tokenBudget: 2048, maxBatchSize: 64 }, { shuffle: false }]) {
      const flat = planBatches(lengths, opts, 1, 0).flat().sort((a, b) => a - b);
      expect(flat).toEqual(lengths.map((_, i) => i));
    }
  });

  it('is deterministic in (seed, epoch) and reshuffles across epochs', () => {
    const a = planBatches(lengths, {}, 5, 3);
    expect(planBatches(lengths, {}, 5, 3)).toEqual(a);
    expect(planBatches(lengths, {}, 5, 4)).not.toEqual(a);
    expect(planBatches(lengths, {}, 6, 3)).not.toEqual(a);
  });

  it('length bucketing cuts padding several-fold versus random batches', () => {
    const bucketed = padding(planBatches(lengths, { bucketByLength: true, padToMultipleOf: 1 }, 1, 0));
    const random = padding(planBatches(lengths, { bucketByLength: false, padToMultipleOf: 1 }, 1, 0));
    expect(bucketed * 4).toBeLessThan(random);
  });

  it('dynamic batches stay within the token budget between the base and max batch size', () => {
    const budget = 2048;
    const batches = planBatches(lengths, { batchSize: 8, maxBatchSize: 128, tokenBudget: budget, padToMultipleOf: 8 }, 1, 0);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(128);
      const cost = b.length * paddedLength(Math.max(...b.map((i) => lengths[i])), 8);
      if (b.length > 8) expect(cost).toBeLessThanOrEqual(budget);
    }
    const sizes = batches.map((b) => b.length);
    expect(Math.max(...sizes)).toBeGreaterThan(3 * Math.min(...sizes.slice(0, -1)));
  });

  it('drops short batches when asked and validates options', () => {
    expect(planBatches(lengths, { batchSize: 30, dropLast: true, bucketByLength: false }, 1, 0).every((b) => b.length === 30)).toBe(true);
    expect(() => planBatches(lengths, { batchSize: 0 }, 1, 0)).toThrow(/option 'batching.batchSize'/);
    expect(() => planBatches(lengths, { batchSize: 16, maxBatchSize: 8 }, 1, 0)).toThrow(/option 'batching.maxBatchSize'/);
    expect(() => planBatches(lengths, { tokenBudget: -5 }, 1, 0)).toThrow(DataError);
  });
});

describe('collate', () => {
  it('pads to the longest (rounded to a multiple), masks padding, copies type ids and labels', () => {
    const e: EncodedExamples = { count: 3, offsets: Int32Array.from([0, 3, 8, 9]), ids: Int32Array.from([101, 7, 102, 101, 8, 9, 102, 10, 5]), typeIds: Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 1, 0]) };
    const b = collate(e, [2, 1], Int32Array.from([0, 1, 1]), { padId: 0, padToMultipleOf: 4, index: 0, epoch: 0 });
    expect(b.seqLen).toBe(8);
    expect(Array.from(b.inputIds)).toEqual([5, 0, 0, 0, 0, 0, 0, 0, 101, 8, 9, 102, 10, 0, 0, 0]);
    expect(Array.from(b.attentionMask)).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(Array.from(b.tokenTypeIds)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    expect(Array.from(b.labels as Int32Array)).toEqual([1, 1]);
    expect(b.tokens).toBe(6);
  });
});

describe('prefetch', () => {
  it('yields every item in order and prepares ahead while the consumer awaits', async () => {
    const produced: number[] = [];
    const consumedAt: number[] = [];
    function* source(): Generator<number> {
      for (let i = 0; i < 6; i++) {
        produced.push(i);
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const x of prefetch(source(), 2)) {
      seen.push(x);
      await new Promise((r) => setTimeout(r, 5)); // a "training step" that yields the event loop
      consumedAt.push(produced.length);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
    // During the step on item k, items k+1 and k+2 were produced (depth 2).
    expect(consumedAt).toEqual([3, 4, 5, 6, 6, 6]);
  });

  it('passes errors through and closes the source when the consumer stops early', async () => {
    let closed = false;
    function* failing(): Generator<number> {
      try {
        yield 1;
        throw new Error('bad row 2');
      } finally {
        closed = true;
      }
    }
    const seen: number[] = [];
    await expect(async () => {
      for await (const x of prefetch(failing(), 3)) seen.push(x);
    }).rejects.toThrow('bad row 2');
    expect(seen).toEqual([1]);
    closed = false;
    function* endless(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const x of prefetch(endless(), 2)) if (x === 3) break;
    expect(closed).toBe(true);
    await expect(async () => {
      for await (const _ of prefetch([1], -1)) void _;
    }).rejects.toThrow(/prefetch depth/);
  });
});
