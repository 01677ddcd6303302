/**
 * K-fold cross-validation: for each fold, prepare the data with that fold held out, let the caller train a
 * model (normally the Trainer), evaluate it on the held-out fold, and place its probabilities at those
 * rows. Every row is predicted exactly once by a model that never trained on it (out-of-fold predictions);
 * the fold models form the ensemble for predict(). Held out is not the same as honest: when a fold's model
 * was picked on that fold (the best checkpoint by its validation metric), its figure on the fold is
 * optimistic. The caller can also hand over each fold's last-epoch evaluation, a model nothing was
 * selected on, whose pooled figures are an honest estimate (`lastEpoch`).
 */
import { type DataOptions, type PreparedData, prepareData } from '../data/dataset.js';
import { type ClassifierModule, type EvalLossFn, type EvaluationResult, evaluateDetailed, meanCrossEntropy, metricsForLogging } from './evaluate.js';
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
  /** The fold's last-epoch model on its validation split (no selection on the fold): the honest figure. */
  lastEpoch?: EvaluationResult;
}

/** Trains one fold; typically builds a Trainer from `ctx.data` and returns its model. */
export type TrainFoldFn = (ctx: FoldContext) => Promise<TrainedFold> | TrainedFold;

export interface FoldResult {
  fold: number;
  trainSize: number;
  validationSize: number;
  /** The returned model's metrics on the fold (selected on it when the best checkpoint was restored). */
  metrics: EvalMetrics;
  /** The last-epoch model's metrics on the fold, when the caller gave them. */
  lastEpochMetrics?: EvalMetrics;
}

/** Out-of-fold predictions over every row, with the per-fold mean and standard deviation. */
export interface PooledFolds {
  /** Row-major [rows, K] probabilities, each row from the fold that held it out. */
  probabilities: Float32Array;
  predictions: Int32Array;
  /** Metrics over all rows; the loss is the log loss of the out-of-fold probabilities. */
  metrics: EvalMetrics;
  /** Mean and (population) standard deviation of each fold metric, under logged names (`val_f1`, …). */
  mean: Record<string, number>;
  std: Record<string, number>;
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
  /** The same over the folds' last-epoch models, when every fold gave one: the honest estimate. */
  lastEpoch?: PooledFolds;
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
  let numClasses = 0;
  const returned = new OutOfFold();
  const last = new OutOfFold();

  for (let fold = 0; fold < k; fold++) {
    const data = prepareData({ ...options.data, kFolds: k, fold });
    labels ??= data.labelIds;
    numClasses = data.labels.numClasses;
    const trained = await options.trainFold({ fold, k, data });
    const evaluation = await evaluateDetailed(trained.model, data.validationLoader(), options.lossFn ?? meanCrossEntropy);
    const rows = returned.place(evaluation, data, labels.length, numClasses);
    if (trained.lastEpoch) last.place(trained.lastEpoch, data, labels.length, numClasses);
    const result: FoldResult = { fold, trainSize: data.split.train.length, validationSize: rows, metrics: evaluation.metrics, ...(trained.lastEpoch ? { lastEpochMetrics: trained.lastEpoch.metrics } : {}) };
    folds.push(result);
    if (keepModels) members.push({ model: trained.model, data });
    await options.onFoldEnd?.(result);
  }

  const allLabels = labels as Int32Array;
  const pooled = returned.pool(allLabels, numClasses, folds.map((f) => f.metrics));
  const lastFolds = folds.map((f) => f.lastEpochMetrics).filter((m): m is EvalMetrics => m !== undefined);
  return {
    k,
    folds,
    outOfFold: { labels: allLabels, probabilities: pooled.probabilities, predictions: pooled.predictions, metrics: pooled.metrics },
    mean: pooled.mean,
    std: pooled.std,
    ...(lastFolds.length === k ? { lastEpoch: last.pool(allLabels, numClasses, lastFolds) } : {}),
    members,
  };
}

/** Collects each fold's validation probabilities at their rows; every row exactly once. */
class OutOfFold {
  private probabilities: Float32Array | null = null;
  private covered: Uint8Array | null = null;

  /** Places one fold's evaluation; returns the number of rows it covered. */
  place(evaluation: EvaluationResult, data: PreparedData, rowCount: number, numClasses: number): number {
    this.probabilities ??= new Float32Array(rowCount * numClasses);
    this.covered ??= new Uint8Array(rowCount);
    const rows = evaluation.rows ?? data.split.validation;
    rows.forEach((row, i) => {
      if (this.covered![row]) throw new RangeError(`crossValidate: row ${row} is in the validation split of more than one fold`);
      this.covered![row] = 1;
      this.probabilities!.set(evaluation.probabilities.subarray(i * numClasses, (i + 1) * numClasses), row * numClasses);
    });
    return rows.length;
  }

  pool(labels: Int32Array, numClasses: number, foldMetrics: EvalMetrics[]): PooledFolds {
    const uncovered = this.covered!.indexOf(0);
    if (uncovered >= 0) throw new RangeError(`crossValidate: row ${uncovered} was in no validation fold`);
    const probabilities = this.probabilities!;
    const perFold = foldMetrics.map((m) => metricsForLogging(m));
    const names = Object.keys(perFold[0]).filter((n) => perFold.every((m) => n in m));
    const mean: Record<string, number> = {};
    const std: Record<string, number> = {};
    for (const n of names) {
      const xs = perFold.map((m) => m[n]);
      mean[n] = xs.reduce((a, b) => a + b, 0) / xs.length;
      std[n] = Math.sqrt(xs.reduce((a, x) => a + (x - mean[n]) ** 2, 0) / xs.length);
    }
    return { probabilities, predictions: argmaxRows(probabilities, numClasses), metrics: classificationMetrics({ labels, probabilities, numClasses }), mean, std };
  }
}
