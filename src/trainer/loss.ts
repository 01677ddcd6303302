/**
 * The classification loss of a training run, per the config (cross-entropy or focal, label smoothing,
 * class weights), and what each loss divides by when it takes its mean: an optimizer step split into
 * micro-batches (accumulation, memory back-off) or rank shards weighs each part by that share, so the
 * update is the one a single batch gives.
 */
import * as mx from '../core/index.js';
import { crossEntropy, focalLoss } from '../nn/losses.js';
import type { Module } from '../nn/index.js';
import type { LossFn, StepBatch } from './step.js';

export interface LossConfig {
  loss: 'cross_entropy' | 'focal';
  labelSmoothing: number;
  classWeights: number[] | null;
  /** Focal loss focusing parameter (0: plain cross-entropy). */
  focalGamma?: number;
}

/** The mean loss of a classification batch, per the training config. */
export function classificationLoss(config: LossConfig): LossFn {
  const classWeights = config.classWeights ? mx.keep(mx.array(config.classWeights, 'float32')) : null;
  const fn: LossFn = (model: Module, batch: StepBatch): mx.Array => {
    const logits = model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds }) as mx.Array;
    if (config.loss === 'focal') {
      return focalLoss(logits, batch.labels, { reduction: 'mean', gamma: config.focalGamma ?? 2, ...(classWeights ? { alpha: classWeights } : {}) });
    }
    return crossEntropy(logits, batch.labels, { reduction: 'mean', labelSmoothing: config.labelSmoothing, classWeights });
  };
  // Class-weighted cross-entropy divides by the batch's weight sum, not its row count (focal's mean is per row).
  if (config.loss === 'cross_entropy' && config.classWeights) fn.normalizer = weightSum(config.classWeights);
  return fn;
}

/** The sum of the class weights of a batch's labels (read on the host; labels are a small int vector). */
function weightSum(classWeights: number[]): (batch: StepBatch) => number {
  return (batch) => {
    let total = 0;
    for (const label of batch.labels.toList() as number[]) total += classWeights[label] ?? 0;
    return total;
  };
}
