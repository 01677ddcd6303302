/**
 * training.batchSize: auto: before training, the batch-size finder (batch-size.ts) measures the largest
 * full-length batch, doubling from 1 up to maxBatchSize, whose forward + backward pass fits
 * memoryLimitMb; the config then carries that number, so the run's params, checkpoints and predictions
 * see the size that trained.
 */
import type { TrainingConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Module } from '../nn/index.js';
import { findBatchSize } from './batch-size.js';
import type { LossFn } from './step.js';

export interface AutoBatchSizeInput {
  model: Module;
  lossFn: LossFn;
  vocabSize: number;
  log: (message: string) => void;
}

/** The config with training.batchSize resolved (unchanged when it is a number). */
export function resolveAutoBatchSize(config: TrainingConfig, input: AutoBatchSizeInput): TrainingConfig {
  const t = config.training;
  if (t.batchSize !== 'auto') return config;
  if (t.memoryLimitMb === null) throw new ConfigError('training.batchSize: auto needs training.memoryLimitMb (the budget the batch must fit)');
  const budget = t.memoryLimitMb * 2 ** 20;
  const found = findBatchSize({ model: input.model, lossFn: input.lossFn, maxLength: config.model.maxLength, vocabSize: input.vocabSize, start: 1, max: t.maxBatchSize, memoryLimitBytes: budget });
  if (found.batchSize === 0) {
    throw new ConfigError(`training.batchSize: auto found no batch that fits training.memoryLimitMb=${t.memoryLimitMb}: one row of ${config.model.maxLength} tokens already peaks over it; raise memoryLimitMb or lower model.maxLength`);
  }
  input.log(`batch-size finder: batchSize ${found.batchSize} (training pass peak ${(found.peakBytes / 2 ** 20).toFixed(1)} MB of the ${t.memoryLimitMb} MB budget, at most maxBatchSize ${t.maxBatchSize})`);
  return { ...config, training: { ...t, batchSize: found.batchSize } };
}

/** A number for places that need one before (or without) the finder: auto batches at most maxBatchSize. */
export function batchSizeOf(t: TrainingConfig['training']): number {
  return t.batchSize === 'auto' ? t.maxBatchSize : t.batchSize;
}
