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
import type { TaskKind } from '../data/targets.js';
import { type ClassifierModule, metricsForLogging } from './evaluate.js';
import type { EnsembleMember } from './predict.js';
import { type FoldScore, type FoldScoring, pooledMetrics, pooledPredictions, scoreFold } from './tasks/fold-score.js';
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
  lastEpoch?: FoldScore;
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
  /**
   * Row-major [rows, width] outputs, each row from the fold that held it out: class probabilities,
   * per-label probabilities, cumulative "y > k" probabilities (ordinal) or the value in target units.
   */
  probabilities: Float64Array;
  /** The task's predictions: class ids, 0/1 per label ([rows, width]) or values in target units. */
  predictions: Int32Array | Float64Array;
  /** Metrics over all rows (fold-score.ts's pooledMetrics). */
  metrics: EvalMetrics;
  /** Mean and (population) standard deviation of each fold metric, under logged names (`val_f1`, …). */
  mean: Record<string, number>;
  std: Record<string, number>;
}

export interface CrossValidationResult {
  k: number;
  folds: FoldResult[];
  /** The task the folds were scored as. */
  task: TaskKind;
  /** The first fold's data: the training CSV's rows, ids, label names and label column(s). */
  data: PreparedData;
  /** Classes (classification, ordinal), labels (multilabel), 1 (regression). */
  numClasses: number;
  outOfFold: {
    /** Truth of every row of the training CSV: class id, 0/1 per label ([rows, L]) or the target in its units. */
    labels: Float64Array;
    /** As PooledFolds. */
    probabilities: Float64Array;
    predictions: Int32Array | Float64Array;
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
  /** How each fold is scored (default: classification with mean cross-entropy). */
  scoring?: FoldScoring;
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
  const returned = new OutOfFold();
  const last = new OutOfFold();
  let first: PreparedData | null = null;

  for (let fold = 0; fold < k; fold++) {
    const data = prepareData({ ...options.data, kFolds: k, fold });
    first ??= data;
    const trained = await options.trainFold({ fold, k, data });
    const score = await scoreFold(trained.model, data, options.scoring);
    const rowCount = data.targets.ids.length;
    const rows = returned.place(score, rowCount);
    if (trained.lastEpoch) last.place(trained.lastEpoch, rowCount);
    const result: FoldResult = { fold, trainSize: data.split.train.length, validationSize: rows, metrics: score.metrics, ...(trained.lastEpoch ? { lastEpochMetrics: trained.lastEpoch.metrics } : {}) };
    folds.push(result);
    if (keepModels) members.push({ model: trained.model, data });
    await options.onFoldEnd?.(result);
  }

  const pooled = returned.pool(folds.map((f) => f.metrics));
  const lastFolds = folds.map((f) => f.lastEpochMetrics).filter((m): m is EvalMetrics => m !== undefined);
  return {
    k,
    task: returned.task,
    data: first as PreparedData,
    numClasses: returned.numClasses,
    folds,
    outOfFold: { labels: returned.truth, probabilities: pooled.probabilities, predictions: pooled.predictions, metrics: pooled.metrics },
    mean: pooled.mean,
    std: pooled.std,
    ...(lastFolds.length === k ? { lastEpoch: last.pool(lastFolds) } : {}),
    members,
  };
}

/** Collects each fold's validation outputs and truth at their rows; every row exactly once. */
class OutOfFold {
  task: TaskKind = 'classification';
  numClasses = 0;
  private width = 0;
  private truthWidth = 1;
  private outputs = new Float64Array(0);
  truth = new Float64Array(0);
  private covered = new Uint8Array(0);
  private lossSum = 0;
  private lossRows = 0;

  /** Places one fold's score; returns the number of rows it covered. */
  place(score: FoldScore, rowCount: number): number {
    if (this.covered.length === 0) {
      Object.assign(this, { task: score.task, numClasses: score.numClasses, width: score.width, truthWidth: score.truthWidth });
      this.outputs = new Float64Array(rowCount * score.width);
      this.truth = new Float64Array(rowCount * score.truthWidth);
      this.covered = new Uint8Array(rowCount);
    }
    const { width: w, truthWidth: tw } = this;
    if (score.width !== w || score.task !== this.task) throw new RangeError(`crossValidate: fold scored as ${score.task} with ${score.width} outputs but earlier folds as ${this.task} with ${w}`);
    score.rows.forEach((row, i) => {
      if (this.covered[row]) throw new RangeError(`crossValidate: row ${row} is in the validation split of more than one fold`);
      this.covered[row] = 1;
      this.outputs.set(score.outputs.subarray(i * w, (i + 1) * w), row * w);
      this.truth.set(score.truth.subarray(i * tw, (i + 1) * tw), row * tw);
    });
    this.lossSum += score.metrics.loss * score.rows.length;
    this.lossRows += score.rows.length;
    return score.rows.length;
  }

  pool(foldMetrics: EvalMetrics[]): PooledFolds {
    const uncovered = this.covered.indexOf(0);
    if (uncovered >= 0) throw new RangeError(`crossValidate: row ${uncovered} was in no validation fold`);
    const perFold = foldMetrics.map((m) => metricsForLogging(m));
    const names = Object.keys(perFold[0]).filter((n) => perFold.every((m) => n in m));
    const mean: Record<string, number> = {};
    const std: Record<string, number> = {};
    for (const n of names) {
      const xs = perFold.map((m) => m[n]);
      mean[n] = xs.reduce((a, b) => a + b, 0) / xs.length;
      std[n] = Math.sqrt(xs.reduce((a, x) => a + (x - mean[n]) ** 2, 0) / xs.length);
    }
    const metrics = pooledMetrics(this.task, this.numClasses, this.outputs, this.truth, this.lossSum / this.lossRows);
    return { probabilities: this.outputs, predictions: pooledPredictions(this.task, this.outputs, this.numClasses), metrics, mean, std };
  }
}
