/**
 * Classification metrics on host arrays: labels (class ids) and class probabilities read back once per
 * evaluation batch, so nothing here touches MLX. Definitions follow scikit-learn (checked against it in
 * test/trainer/metrics.test.ts):
 *
 * - Predictions are the argmax of the probabilities; equal maxima go to the lowest class id (numpy).
 * - precision / recall / f1 in EvalMetrics: for two classes the positive class (id 1, sklearn's
 *   `average='binary'`); for more classes the unweighted mean over all K classes (`average='macro'`).
 *   The `*Macro` and `*Weighted` (mean weighted by each class's true count) variants are always added.
 *   A ratio with a zero denominator is 0 (sklearn's `zero_division=0`): a class never predicted has
 *   precision 0, a class absent from the labels has recall 0. F1 is 2·tp / (2·tp + fp + fn).
 * - Averages run over all K classes of the label encoder, also those absent from this split.
 * - rocAuc: area under the ROC curve of the positive-class probability for two classes; the mean of the
 *   K one-vs-rest areas for more. Tied scores form one threshold (a diagonal segment, so a tie counts
 *   half). Undefined (NaN from the functions, left out of EvalMetrics) when some class has no positive or
 *   no negative example.
 * - logLoss: mean −log p(true class), p clipped to [ε, 1 − ε] with float64 ε.
 */
import type { EvalMetrics } from './types.js';

export type Average = 'binary' | 'macro' | 'weighted';
type Ints = ArrayLike<number>;

function checkInputs(labels: Ints, probabilities: ArrayLike<number>, numClasses: number, where: string): number {
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new RangeError(`${where}: expected numClasses ≥ 2 but received ${numClasses}`);
  const n = labels.length;
  if (probabilities.length !== n * numClasses) {
    throw new RangeError(`${where}: expected ${n} × ${numClasses} = ${n * numClasses} probabilities for ${n} labels but received ${probabilities.length}`);
  }
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new RangeError(`${where}: label ${y} at row ${i} is outside 0..${numClasses - 1}`);
  }
  return n;
}

/** The predicted class of each row of a row-major [n, K] probability (or logit) matrix. */
export function argmaxRows(scores: ArrayLike<number>, numClasses: number): Int32Array {
  const n = Math.floor(scores.length / numClasses);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (scores[i * numClasses + c] > scores[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** `matrix[true][predicted]` counts. */
export function confusionMatrix(labels: Ints, predictions: Ints, numClasses: number): number[][] {
  if (labels.length !== predictions.length) throw new RangeError(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) throw new RangeError(`confusionMatrix: class ids (${t}, ${p}) at row ${i} are outside 0..${numClasses - 1}`);
    m[t][p]++;
  }
  return m;
}

const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

export interface PerClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  /** True examples of each class. */
  support: number[];
}

export function perClassScores(matrix: number[][]): PerClassScores {
  const k = matrix.length;
  const out: PerClassScores = { precision: [], recall: [], f1: [], support: [] };
  for (let c = 0; c < k; c++) {
    const tp = matrix[c][c];
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < k; j++) {
      predicted += matrix[j][c];
      actual += matrix[c][j];
    }
    const fp = predicted - tp;
    const fn = actual - tp;
    out.precision.push(ratio(tp, predicted));
    out.recall.push(ratio(tp, actual));
    out.f1.push(ratio(2 * tp, 2 * tp + fp + fn));
    out.support.push(actual);
  }
  return out;
}

/** Precision, recall and F1 averaged as `average` says (see the module comment). */
export function averagedScores(matrix: number[][], average: Average, positiveClass = 1): { precision: number; recall: number; f1: number } {
  const s = perClassScores(matrix);
  if (average === 'binary') {
    if (matrix.length !== 2) throw new RangeError(`average 'binary' needs 2 classes but the confusion matrix has ${matrix.length}; use 'macro' or 'weighted'`);
    return { precision: s.precision[positiveClass], recall: s.recall[positiveClass], f1: s.f1[positiveClass] };
  }
  const total = s.support.reduce((a, b) => a + b, 0);
  const weights = s.support.map((n) => (average === 'macro' ? 1 / matrix.length : ratio(n, total)));
  const mean = (xs: number[]) => xs.reduce((acc, x, c) => acc + x * weights[c], 0);
  return { precision: mean(s.precision), recall: mean(s.recall), f1: mean(s.f1) };
}

export function accuracyFromMatrix(matrix: number[][]): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, t) => row.forEach((n, p) => ((total += n), (correct += t === p ? n : 0))));
  return ratio(correct, total);
}

/** Mean cross-entropy of the true classes' probabilities (sklearn's log_loss on probabilities). */
export function logLoss(labels: Ints, probabilities: ArrayLike<number>, numClasses: number): number {
  const n = checkInputs(labels, probabilities, numClasses, 'logLoss');
  const eps = Number.EPSILON;
  let sum = 0;
  for (let i = 0; i < n; i++) sum -= Math.log(Math.min(1 - eps, Math.max(eps, probabilities[i * numClasses + labels[i]])));
  return n === 0 ? Number.NaN : sum / n;
}

export interface RocCurve {
  /** Starts at (0, 0); one point per distinct score, highest first. */
  fpr: number[];
  tpr: number[];
  /** The score at each point after the first (a row is predicted positive when score ≥ threshold). */
  thresholds: number[];
}

/** ROC curve of `scores` for the rows where `isPositive` is true against the rest, ties as one threshold. */
export function rocCurve(isPositive: ArrayLike<boolean | number>, scores: ArrayLike<number>): RocCurve {
  if (isPositive.length !== scores.length) throw new RangeError(`rocCurve: ${isPositive.length} labels but ${scores.length} scores`);
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) throw new RangeError(`rocCurve: the score at row ${i} is NaN`);
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let positives = 0;
  for (let i = 0; i < isPositive.length; i++) if (isPositive[i]) positives++;
  const negatives = scores.length - positives;
  const curve: RocCurve = { fpr: [0], tpr: [0], thresholds: [] };
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (isPositive[i]) tp++;
    else fp++;
    if (k === order.length - 1 || scores[order[k + 1]] !== scores[i]) {
      curve.fpr.push(negatives === 0 ? Number.NaN : fp / negatives);
      curve.tpr.push(positives === 0 ? Number.NaN : tp / positives);
      curve.thresholds.push(scores[i]);
    }
  }
  return curve;
}

/** Trapezoidal area under a ROC curve; NaN when the labels hold only one side or a score is NaN (a diverged model). */
export function binaryRocAuc(isPositive: ArrayLike<boolean | number>, scores: ArrayLike<number>): number {
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) return Number.NaN;
  const { fpr, tpr } = rocCurve(isPositive, scores);
  if (fpr.some(Number.isNaN) || tpr.some(Number.isNaN)) return Number.NaN;
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  return area;
}

/** Column `c` of a row-major [n, K] matrix. */
export function classColumn(probabilities: ArrayLike<number>, numClasses: number, c: number): Float64Array {
  const n = Math.floor(probabilities.length / numClasses);
  return Float64Array.from({ length: n }, (_, i) => probabilities[i * numClasses + c]);
}

/** Binary: AUC of P(class 1). Multi-class: mean one-vs-rest AUC over the K classes. NaN when undefined. */
export function rocAuc(labels: Ints, probabilities: ArrayLike<number>, numClasses: number): number {
  checkInputs(labels, probabilities, numClasses, 'rocAuc');
  const oneVsRest = (c: number) => binaryRocAuc(Array.from(labels, (y) => y === c), classColumn(probabilities, numClasses, c));
  if (numClasses === 2) return oneVsRest(1);
  let sum = 0;
  for (let c = 0; c < numClasses; c++) sum += oneVsRest(c);
  return sum / numClasses;
}

/**
 * Every metric of EvalMetrics from labels and probabilities. `loss` is the evaluation loss when the caller
 * has it (the training objective, e.g. with label smoothing); otherwise the log loss of the probabilities.
 */
export function classificationMetrics(input: { labels: Ints; probabilities: ArrayLike<number>; numClasses: number; loss?: number }): EvalMetrics {
  const { labels, probabilities, numClasses } = input;
  checkInputs(labels, probabilities, numClasses, 'classificationMetrics');
  if (labels.length === 0) throw new RangeError('classificationMetrics: no examples to score');
  const matrix = confusionMatrix(labels, argmaxRows(probabilities, numClasses), numClasses);
  const macro = averagedScores(matrix, 'macro');
  const weighted = averagedScores(matrix, 'weighted');
  const headline = numClasses === 2 ? averagedScores(matrix, 'binary') : macro;
  const auc = rocAuc(labels, probabilities, numClasses);
  const metrics: EvalMetrics = {
    loss: input.loss ?? logLoss(labels, probabilities, numClasses),
    accuracy: accuracyFromMatrix(matrix),
    precision: headline.precision,
    recall: headline.recall,
    f1: headline.f1,
    precisionMacro: macro.precision,
    recallMacro: macro.recall,
    f1Macro: macro.f1,
    precisionWeighted: weighted.precision,
    recallWeighted: weighted.recall,
    f1Weighted: weighted.f1,
    confusionMatrix: matrix,
    samples: labels.length,
  };
  if (!Number.isNaN(auc)) metrics.rocAuc = auc;
  return metrics;
}

/**
 * Collects labels and probabilities batch by batch (host copies, so the MLX arrays can be freed at once)
 * and the sample-weighted loss, then computes the metrics over everything seen.
 */
export class MetricAccumulator {
  readonly numClasses: number;
  private labels: number[] = [];
  private probabilities: number[] = [];
  private lossSum = 0;
  private lossCount = 0;

  constructor(numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 2) throw new RangeError(`MetricAccumulator: expected numClasses ≥ 2 but received ${numClasses}`);
    this.numClasses = numClasses;
  }

  get count(): number {
    return this.labels.length;
  }

  /** Adds one batch: its labels, its [size, K] probabilities, and optionally its mean loss. */
  add(labels: Ints, probabilities: ArrayLike<number>, meanLoss?: number): void {
    checkInputs(labels, probabilities, this.numClasses, 'MetricAccumulator.add');
    for (let i = 0; i < labels.length; i++) this.labels.push(labels[i]);
    for (let i = 0; i < probabilities.length; i++) this.probabilities.push(probabilities[i]);
    if (meanLoss !== undefined) {
      this.lossSum += meanLoss * labels.length;
      this.lossCount += labels.length;
    }
  }

  compute(): EvalMetrics {
    return classificationMetrics({
      labels: this.labels,
      probabilities: this.probabilities,
      numClasses: this.numClasses,
      loss: this.lossCount > 0 ? this.lossSum / this.lossCount : undefined,
    });
  }

  /** The collected labels and probabilities (e.g. for ROC plots). */
  data(): { labels: Int32Array; probabilities: Float32Array } {
    return { labels: Int32Array.from(this.labels), probabilities: Float32Array.from(this.probabilities) };
  }
}
