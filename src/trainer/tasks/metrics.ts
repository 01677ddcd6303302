/**
 * Metrics of the regression, multi-label and ordinal tasks on host arrays (classification's are in
 * ../metrics.ts). Definitions follow scikit-learn 1.9 (checked against it on fixtures made by
 * scripts/fixtures/task_metrics.py):
 *
 * - regression: rmse = √mean((ŷ−y)²), mae, mse, r2 = 1 − SS_res/SS_tot (a constant target gives 1 when
 *   the predictions are exact, else 0: sklearn's force_finite). Values in the target's own units.
 * - multilabel (a label is on when its probability is ≥ threshold, 0.5): accuracy is the subset accuracy
 *   (every label of the row right), f1Micro / precisionMicro / recallMicro pool tp, fp, fn over all labels,
 *   f1Macro the unweighted mean of per-label F1, hammingLoss the share of wrong label cells; a zero
 *   denominator gives 0 (zero_division=0). precision / recall / f1 are the micro figures.
 * - ordinal (classes 0..K−1 in order): accuracy, mae in class steps, qwk = Cohen's kappa with quadratic
 *   weights over all K classes (sklearn's cohen_kappa_score(weights='quadratic', labels=range(K))), and
 *   the classification scores of the confusion matrix (precision / recall / f1 macro).
 */
import { accuracyFromMatrix, averagedScores, confusionMatrix } from '../metrics.js';
import type { EvalMetrics } from '../types.js';

type Nums = ArrayLike<number>;

function sameLength(where: string, a: Nums, b: Nums, what = 'values'): number {
  if (a.length !== b.length) throw new RangeError(`${where}: ${a.length} predictions but ${b.length} ${what}`);
  if (a.length === 0) throw new RangeError(`${where}: no examples to score`);
  return a.length;
}

/** The regression figures of predictions `yHat` against targets `y` (both in target units). */
export function regressionScores(yHat: Nums, y: Nums): { mse: number; rmse: number; mae: number; r2: number } {
  const n = sameLength('regressionScores', yHat, y, 'targets');
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  let abs = 0;
  for (let i = 0; i < n; i++) {
    const d = yHat[i] - y[i];
    ssRes += d * d;
    abs += Math.abs(d);
    ssTot += (y[i] - mean) ** 2;
  }
  const r2 = ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  return { mse: ssRes / n, rmse: Math.sqrt(ssRes / n), mae: abs / n, r2 };
}

/** EvalMetrics of a regression: the classification fields are NaN (undefined here; never logged). */
export function regressionMetrics(yHat: Nums, y: Nums, loss?: number): EvalMetrics {
  const s = regressionScores(yHat, y);
  return { loss: loss ?? s.mse, accuracy: Number.NaN, precision: Number.NaN, recall: Number.NaN, f1: Number.NaN, confusionMatrix: [], ...s, samples: y.length };
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Multi-label scores of [n, L] probabilities against [n, L] 0/1 targets. */
export function multilabelMetrics(probabilities: Nums, targets: Nums, numLabels: number, options: { loss?: number; threshold?: number } = {}): EvalMetrics {
  const cells = sameLength('multilabelMetrics', probabilities, targets, 'target cells');
  if (!Number.isInteger(numLabels) || numLabels < 1 || cells % numLabels !== 0) throw new RangeError(`multilabelMetrics: ${cells} cells are not rows of ${numLabels} labels`);
  const threshold = options.threshold ?? 0.5;
  const n = cells / numLabels;
  const tp = new Float64Array(numLabels);
  const fp = new Float64Array(numLabels);
  const fn = new Float64Array(numLabels);
  let exact = 0;
  let wrong = 0;
  let logLoss = 0;
  for (let i = 0; i < n; i++) {
    let rowRight = true;
    for (let j = 0; j < numLabels; j++) {
      const p = probabilities[i * numLabels + j];
      const on = p >= threshold;
      const truth = targets[i * numLabels + j] >= 0.5;
      if (on && truth) tp[j]++;
      else if (on) fp[j]++;
      else if (truth) fn[j]++;
      if (on !== truth) {
        rowRight = false;
        wrong++;
      }
      const q = Math.min(Math.max(p, 1e-7), 1 - 1e-7);
      logLoss -= truth ? Math.log(q) : Math.log(1 - q);
    }
    if (rowRight) exact++;
  }
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  const [TP, FP, FN] = [sum(tp), sum(fp), sum(fn)];
  const precisionMicro = ratio(TP, TP + FP);
  const recallMicro = ratio(TP, TP + FN);
  const f1Micro = ratio(2 * TP, 2 * TP + FP + FN);
  let f1Macro = 0;
  let precisionMacro = 0;
  let recallMacro = 0;
  for (let j = 0; j < numLabels; j++) {
    f1Macro += ratio(2 * tp[j], 2 * tp[j] + fp[j] + fn[j]);
    precisionMacro += ratio(tp[j], tp[j] + fp[j]);
    recallMacro += ratio(tp[j], tp[j] + fn[j]);
  }
  return {
    loss: options.loss ?? logLoss / cells,
    accuracy: exact / n,
    subsetAccuracy: exact / n,
    precision: precisionMicro,
    recall: recallMicro,
    f1: f1Micro,
    precisionMicro,
    recallMicro,
    f1Micro,
    precisionMacro: precisionMacro / numLabels,
    recallMacro: recallMacro / numLabels,
    f1Macro: f1Macro / numLabels,
    hammingLoss: wrong / cells,
    confusionMatrix: [],
    samples: n,
  };
}

/** Cohen's kappa with quadratic weights over classes 0..K−1 (sklearn's weights='quadratic', labels=range(K)). */
export function quadraticWeightedKappa(labels: Nums, predictions: Nums, numClasses: number): number {
  const matrix = confusionMatrix(labels, predictions, numClasses);
  const n = labels.length;
  const rows = matrix.map((r) => r.reduce((s, v) => s + v, 0));
  const cols = matrix[0].map((_, j) => matrix.reduce((s, r) => s + r[j], 0));
  let observed = 0;
  let expected = 0;
  for (let i = 0; i < numClasses; i++) {
    for (let j = 0; j < numClasses; j++) {
      const w = (i - j) ** 2;
      observed += w * matrix[i][j];
      expected += (w * rows[i] * cols[j]) / n;
    }
  }
  // Every row and prediction in one class: no disagreement is possible, sklearn gives NaN (0/0).
  return expected === 0 ? Number.NaN : 1 - observed / expected;
}

/** Ordinal scores of predicted classes against true classes 0..K−1. */
export function ordinalMetrics(labels: Nums, predictions: Nums, numClasses: number, loss?: number): EvalMetrics {
  const n = sameLength('ordinalMetrics', predictions, labels, 'labels');
  const matrix = confusionMatrix(labels, predictions, numClasses);
  let abs = 0;
  for (let i = 0; i < n; i++) abs += Math.abs(predictions[i] - labels[i]);
  const macro = averagedScores(matrix, 'macro');
  const qwk = quadraticWeightedKappa(labels, predictions, numClasses);
  return {
    loss: loss ?? Number.NaN,
    accuracy: accuracyFromMatrix(matrix),
    precision: macro.precision,
    recall: macro.recall,
    f1: macro.f1,
    f1Macro: macro.f1,
    mae: abs / n,
    ...(Number.isNaN(qwk) ? {} : { qwk }),
    confusionMatrix: matrix,
    samples: n,
  };
}
