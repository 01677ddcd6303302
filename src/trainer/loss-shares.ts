/**
 * Each part's share of an optimizer step's loss. A step may run as several micro-batches (gradient
 * accumulation, memory back-off splits) on each of several ranks; a part's loss is its own mean, so
 * weighing it by (its denominator / the whole batch's denominator) gives the mean over the whole batch.
 * The denominator is the row count, or what the loss says it divides by (class-weighted cross-entropy:
 * the weight sum). Ranks average their gradients, so with a loss normalizer the shares are scaled by
 * the world size over the global sum (one scalar all-reduce per step), since shards differ in weight.
 */
import { sumOverRanks, worldSize } from './distributed.js';

// Any batch with a row count: step.ts imports this module, so its StepBatch type is not named here.
export function lossShares<B extends { size: number }>(parts: B[], normalizer?: (batch: B) => number): number[] {
  const weights = parts.map((b) => (normalizer ? normalizer(b) : b.size));
  const local = weights.reduce((a, b) => a + b, 0);
  // Row counts of rank shards differ by at most one; a weight sum can differ by far more.
  const ranks = normalizer ? worldSize() : 1;
  const total = ranks > 1 ? sumOverRanks(local) : local;
  return weights.map((w) => (w * ranks) / total);
}
