/**
 * Dynamic batch sizing. Batches grow from batchSize to maxBatchSize within a token budget (the data
 * pipeline packs length buckets up to it), and a memory rule drives the budget: MLX's CPU memory limit
 * does not make allocations fail, so the trainer measures each step's MLX peak against the configured
 * budget. Over budget (or an MLX_OUT_OF_MEMORY error): each batch is split into more micro-batches at
 * once (the update is the same, see step.ts) and the token budget shrinks for the next epoch's plan; far
 * under budget for a whole epoch: the token budget grows again.
 */
import * as mx from '../core/index.js';
import type { Module } from '../nn/index.js';
import type { LossFn, StepBatch } from './step.js';
import { valueAndGrad } from '../nn/index.js';

export interface BatchSizerOptions {
  batchSize: number;
  maxBatchSize: number;
  maxLength: number;
  dynamic: boolean;
  /** Peak MLX memory allowed per step, in bytes; null = no memory rule. */
  memoryLimitBytes: number | null;
}

export interface BatchSizerState {
  tokenBudget: number | null;
  splits: number;
  epochPeakBytes: number;
  backoffs: number;
}

/** Grow when an epoch peaked under this fraction of the budget; shrink the budget by this factor on back-off. */
const GROW_BELOW = 0.5;
const GROWTH = 1.25;
const SHRINK = 0.75;

export class BatchSizer {
  readonly options: BatchSizerOptions;
  tokenBudget: number | null;
  /** Micro-batches each loader batch is split into (1 = none). */
  splits = 1;
  epochPeakBytes = 0;
  backoffs = 0;

  constructor(options: BatchSizerOptions) {
    this.options = options;
    this.tokenBudget = options.dynamic ? options.batchSize * options.maxLength : null;
  }

  /** Options for the data pipeline's batch planner. */
  batching(): { batchSize: number; maxBatchSize?: number; tokenBudget?: number } {
    const { batchSize, maxBatchSize } = this.options;
    return this.tokenBudget === null ? { batchSize } : { batchSize, maxBatchSize, tokenBudget: Math.max(1, Math.floor(this.tokenBudget)) };
  }

  /** Records one step's peak; returns true when it was over budget (the split factor doubled). */
  observe(peakBytes: number, largestBatch: number): boolean {
    this.epochPeakBytes = Math.max(this.epochPeakBytes, peakBytes);
    const limit = this.options.memoryLimitBytes;
    if (limit === null || peakBytes <= limit) return false;
    return this.backOff(largestBatch);
  }

  /** Splits batches further (and shrinks the next plan); false when batches are already one example per part. */
  backOff(largestBatch: number): boolean {
    if (Math.ceil(largestBatch / this.splits) <= 1) return false;
    this.splits *= 2;
    this.backoffs++;
    if (this.tokenBudget !== null) this.tokenBudget = Math.max(this.options.maxLength, this.tokenBudget * SHRINK);
    return true;
  }

  /** At an epoch boundary: grow the token budget when the epoch stayed far under the memory budget. */
  endEpoch(): void {
    const limit = this.options.memoryLimitBytes;
    if (limit !== null && this.tokenBudget !== null && this.splits === 1 && this.epochPeakBytes > 0 && this.epochPeakBytes < GROW_BELOW * limit) {
      this.tokenBudget = Math.min(this.options.maxBatchSize * this.options.maxLength, this.tokenBudget * GROWTH);
    }
    this.epochPeakBytes = 0;
  }

  /** Cuts a loader batch into `splits` micro-batches (row slices, in order). */
  split(batch: StepBatch): StepBatch[] {
    const parts = Math.min(this.splits, batch.size);
    if (parts <= 1) return [batch];
    const out: StepBatch[] = [];
    const per = Math.ceil(batch.size / parts);
    for (let start = 0; start < batch.size; start += per) {
      const end = Math.min(batch.size, start + per);
      const rows = mx.arange(start, end, { dtype: 'int32' });
      out.push({
        inputIds: mx.take(batch.inputIds, rows, 0),
        attentionMask: mx.take(batch.attentionMask, rows, 0),
        tokenTypeIds: mx.take(batch.tokenTypeIds, rows, 0),
        labels: mx.take(batch.labels, rows, 0),
        size: end - start,
      });
      rows.dispose();
    }
    return out;
  }

  stateDict(): BatchSizerState {
    return { tokenBudget: this.tokenBudget, splits: this.splits, epochPeakBytes: this.epochPeakBytes, backoffs: this.backoffs };
  }

  loadStateDict(s: BatchSizerState): void {
    this.tokenBudget = s.tokenBudget;
    this.splits = s.splits;
    this.epochPeakBytes = s.epochPeakBytes;
    this.backoffs = s.backoffs;
  }
}

/** True for the error MLX raises when an allocation fails. */
export function isOutOfMemory(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'MLX_OUT_OF_MEMORY';
}

export interface FindBatchSizeOptions {
  model: Module;
  lossFn: LossFn;
  maxLength: number;
  vocabSize: number;
  start: number;
  max: number;
  memoryLimitBytes: number;
}

/**
 * The largest batch of full-length sequences (doubling from `start`, capped at `max`) whose forward +
 * backward pass peaks under the memory budget. Leaves the weights and the random state as they were.
 */
export function findBatchSize(o: FindBatchSizeOptions): { batchSize: number; peakBytes: number } {
  const key = mx.random.getState();
  mx.eval(key);
  const vg = valueAndGrad(o.model, (b: StepBatch) => o.lossFn(o.model, b));
  let best = { batchSize: 0, peakBytes: 0 };
  try {
    for (let size = o.start; size <= o.max; size = size === o.max ? o.max + 1 : Math.min(o.max, size * 2)) {
      mx.clearCache();
      mx.resetPeakMemory();
      const peak = mx.tidy(() => {
        const shape = [size, o.maxLength];
        const batch: StepBatch = {
          inputIds: mx.random.randint(1, Math.max(2, o.vocabSize), shape, { dtype: 'int32' }),
          attentionMask: mx.ones(shape, 'int32'),
          tokenTypeIds: mx.zeros(shape, 'int32'),
          labels: o.lossFn.probeLabels?.(size) ?? mx.zeros([size], 'int32'),
          size,
        };
        const [loss, grads] = vg(batch);
        mx.eval(loss, grads);
        return mx.getPeakMemory();
      });
      if (peak > o.memoryLimitBytes) break;
      best = { batchSize: size, peakBytes: peak };
    }
  } finally {
    mx.random.setState(key);
  }
  return best;
}
