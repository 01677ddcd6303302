/**
 * K-fold cross-validation: for each fold, prepare the data with that fold held out, let the caller train a
 * model (normally the Trainer), evaluate it on the held-out fold, and place its probabilities at those
 * rows. Every row is predicted exactly once by a model that never saw it (out-of-fold predictions), which
 * gives an honest estimate over the whole dataset; the fold models form the ensemble for predict().
 */
import { type DataOptions, type PreparedData, prepareData } from '../data/dataset.js';
import { type ClassifierModule, type EvalLossFn, evaluateDetailed, meanCrossEntropy, metricsForLogging } from './evaluate.js';
import { argmaxRows, classificationMetrics } from './metrics.js';
import type { EnsembleMember } from './predict.js';
import type { EvalMetrics } from './types.js';

export interface FoldContext {
  fold: number;
  k: number;
  /** The data with this fold as the validation split (its own tokenizer when one is trained). */
  data: PreparedData;
}

export interface TrainedFold {
  /** The model to evaluate and keep for the ensemble (e.g. the best checkpoint restored). */
  model: ClassifierModule;
}

/** Trains one fold; typically builds a Trainer from `ctx.data` and returns its model. */
export type TrainFoldFn = (ctx: FoldContext) => Promise<TrainedFold> | TrainedFold;

export interface FoldResult {
  fold: number;
  trainSize: number;
  validationSize: number;
  metrics: EvalMetrics;
}

export interface CrossValidationResult {
  k: number;
  folds: FoldResult[];
  outOfFold: {
    /** Class id of every row of the training CSV. */
    labels: Int32Array;
    /** Row-major [rows, K] probabilities, each row from the fold that held it out. */
    probabilities: Float32Array;
    predictions: Int32Array;
    /** Metrics over all rows; the loss is the log loss of the out-of-fold probabilities. */
    metrics: EvalMetrics;
  };
  /** Mean and (population) standard deviation of each fold metric, under logged names (`val_f1`, …). */
  mean: Record<string, number>;
  std: Record<string, number>;
  /** The fold models with their data pipelines: pass to predict() for an averaged-probability ensemble. */
  members: EnsembleMember[];
}

export interface CrossValidationOptions {
  data: DataOptions;
  k: number;
  trainFold: TrainFoldFn;
  lossFn?: EvalLossFn;
  /** Keep the fold models for the ensemble (default true; false frees each after its evaluation). */
  keepModels?: boolean;
  onFoldEnd?: (result: FoldResult) => void | Promise<void>;
}

export async function crossValidate(options: CrossValidationOptions): Promise<CrossValidationResult> {
  const { k } = options;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`crossValidate: expected k ≥ 2 folds but received ${k}`);
  const keepModels = options.keepModels ?? true;
  const folds: FoldResult[] = [];
  const members: EnsembleMember[] = [];
  let labels: Int32Array | null = null;
  let oof: Float32Array | null = null;
  let covered: Uint8Array | null = null;
  let numClasses = 0;

  for (let fold = 0; fold < k; fold++) {
    const data = prepareData({ ...options.data, kFolds: k, fold });
    labels ??= data.labelIds;
    numClasses = data.labels.numClasses;
    oof ??= new Float32Array(labels.length * numClasses);
    covered ??= new Uint8Array(labels.length);
    const { model } = await options.trainFold({ fold, k, data });
    const evaluation = await evaluateDetailed(model, data.validationLoader(), options.lossFn ?? meanCrossEntropy);
    const rows = evaluation.rows ?? data.split.validation;
    rows.forEach((row, i) => {
      if (covered![row]) throw new RangeError(`crossValidate: row ${row} is in the validation split of more than one fold`);
      covered![row] = 1;
      oof!.set(evaluation.probabilities.subarray(i * numClasses, (i + 1) * numClasses), row * numClasses);
    });
    const result: FoldResult = { fold, trainSize: data.split.train.length, validationSize: rows.length, metrics: evaluation.metrics };
    folds.push(result);
    if (keepModels) members.push({ model, data });
    await options.onFoldEnd?.(result);
  }

  const allLabels = labels as Int32Array;
  const probabilities = oof as Float32Array;
  const uncovered = (covered as Uint8Array).indexOf(0);
  if (uncovered >= 0) throw new RangeError(`crossValidate: row ${uncovered} was in no validation fold`);
  const perFold = folds.map((f) => metricsForLogging(f.metrics));
  const names = Object.keys(perFold[0]).filter((n) => perFold.every((m) => n in m));
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const n of names) {
    const xs = perFold.map((m) => m[n]);
    mean[n] = xs.reduce((a, b) => a + b, 0) / xs.length;
    std[n] = Math.sqrt(xs.reduce((a, x) => a + (x - mean[n]) ** 2, 0) / xs.length);
  }
  return {
    k,
    folds,
    outOfFold: {
      labels: allLabels,
      probabilities,
      predictions: argmaxRows(probabilities, numClasses),
      metrics: classificationMetrics({ labels: allLabels, probabilities, numClasses }),
    },
    mean,
    std,
    members,
  };
}
