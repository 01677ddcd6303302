/**
 * Data sharding for data-parallel training. Every rank plans the same epoch (shared seed → same
 * shuffled, bucketed batches); each global batch is then split with shardIndices, so rank r trains on
 * its contiguous part of every batch. Sharding per batch (not the whole order) keeps the number of
 * steps equal on all ranks, which the gradient all-reduce needs; batches with fewer rows than ranks
 * (a short last batch) are dropped on every rank alike. A world of one returns the loader as is.
 */
import type { DataLoader } from '../data/loader.js';
import { shardIndices } from '../distributed/index.js';

/** This rank's part of each planned batch (see the module comment). */
export function shardPlan(batches: readonly number[][], rank: number, worldSize: number): number[][] {
  if (worldSize === 1) return batches as number[][];
  return batches.filter((b) => b.length >= worldSize).map((b) => shardIndices(b.length, rank, worldSize).map((i) => b[i]));
}

/** The loader, planning only this rank's shard of every batch (the same object when the world is one). */
export function shardLoader(loader: DataLoader, rank: number, worldSize: number): DataLoader {
  if (worldSize === 1) return loader;
  const planAll = loader.plan.bind(loader);
  let cached: { epoch: number; batches: number[][] } | null = null;
  // plan() is the loader's single source of batch order (numBatches and the batch iterators read it).
  loader.plan = (epoch: number) => {
    if (cached?.epoch !== epoch) cached = { epoch, batches: shardPlan(planAll(epoch), rank, worldSize) };
    return cached.batches;
  };
  return loader;
}
