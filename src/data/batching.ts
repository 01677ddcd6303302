/**
 * Which examples go in which batch, per epoch. Deterministic in (seed, epoch), so a run resumed at batch k
 * of epoch e sees exactly the batches it would have seen.
 *
 * Length bucketing: the shuffled order is cut into pools of `bucketPoolBatches` batches, each pool is sorted
 * by length and cut into batches, and the batch order is shuffled again: batches hold similar lengths (little
 * padding) yet each epoch mixes differently. Dynamic batching: with a `tokenBudget`, a batch grows from
 * `batchSize` up to `maxBatchSize` examples while (examples × longest padded length) stays within the budget.
 */
import { DataError } from './errors.js';
import { SeededRandom } from './seeded-random.js';

export interface BatchingOptions {
  batchSize?: number;
  maxBatchSize?: number;
  tokenBudget?: number;
  bucketByLength?: boolean;
  bucketPoolBatches?: number;
  shuffle?: boolean;
  dropLast?: boolean;
  padToMultipleOf?: number;
}

export const DEFAULT_BATCHING: Required<Omit<BatchingOptions, 'tokenBudget' | 'maxBatchSize'>> = {
  batchSize: 32,
  bucketByLength: true,
  bucketPoolBatches: 50,
  shuffle: true,
  dropLast: false,
  padToMultipleOf: 8,
};

export function paddedLength(length: number, multiple: number): number {
  return multiple > 1 ? Math.ceil(length / multiple) * multiple : length;
}

function checkPositiveInt(value: number | undefined, key: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new DataError(`expected a positive integer but received ${value}`, { key: `batching.${key}` });
}

/** Batches as lists of positions into `lengths` (the examples of one split). */
export function planBatches(lengths: ArrayLike<number>, options: BatchingOptions, seed: number, epoch: number): number[][] {
  const o = { ...DEFAULT_BATCHING, ...options };
  for (const key of ['batchSize', 'maxBatchSize', 'tokenBudget', 'bucketPoolBatches', 'padToMultipleOf'] as const) checkPositiveInt(o[key], key);
  const maxBatch = o.maxBatchSize ?? o.batchSize;
  if (maxBatch < o.batchSize) throw new DataError(`maxBatchSize ${maxBatch} is below batchSize ${o.batchSize}`, { key: 'batching.maxBatchSize' });
  const rng = new SeededRandom(seed, 0xba7c, epoch);
  const order = Array.from({ length: lengths.length }, (_, i) => i);
  if (o.shuffle) rng.shuffle(order);

  const cut = (positions: number[]): number[][] => {
    const batches: number[][] = [];
    let batch: number[] = [];
    let longest = 0;
    for (const p of positions) {
      const len = paddedLength(lengths[p], o.padToMultipleOf);
      const grown = Math.max(longest, len);
      const fits = batch.length < o.batchSize || (batch.length < maxBatch && o.tokenBudget !== undefined && (batch.length + 1) * grown <= o.tokenBudget);
      if (!fits) {
        batches.push(batch);
        [batch, longest] = [[], 0];
      }
      batch.push(p);
      longest = Math.max(longest, len);
    }
    if (batch.length) batches.push(batch);
    return batches;
  };

  let batches: number[][];
  if (o.bucketByLength) {
    const pool = o.bucketPoolBatches * maxBatch;
    batches = [];
    for (let start = 0; start < order.length; start += pool) {
      const chunk = order.slice(start, start + pool).sort((a, b) => lengths[a] - lengths[b] || a - b);
      batches.push(...cut(chunk));
    }
    if (o.shuffle) rng.shuffle(batches);
  } else {
    batches = cut(order);
  }
  if (o.dropLast) batches = batches.filter((b) => b.length >= o.batchSize);
  return batches;
}
