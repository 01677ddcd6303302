import { describe, expect, it } from 'vitest';
import { accuracyFromMatrix, argmaxRows, averagedScores, classificationMetrics, confusionMatrix, logLoss, MetricAccumulator, perClassScores, rocAuc, rocCurve } from '../../src/trainer/metrics.js';
import { loadFixture } from '../helpers/fixtures.js';

interface MetricsCase {
  name: string;
  numClasses: number;
  labels: { data: number[] };
  probabilities: { data: number[]; shape: number[] };
  predictions: { data: number[] };
  accuracy: number;
  confusionMatrix: number[][];
  logLoss: number;
  rocAuc: number | null;
  rocCurve?: { fpr: number[]; tpr: number[]; thresholds: number[] };
  precision_per_class: number[];
  recall_per_class: number[];
  f1_per_class: number[];
  [key: string]: unknown;
}

const { cases } = loadFixture<MetricsCase>('metrics');
// The fixture's probabilities are float32 values, as they come back from MLX.
const inputs = (c: MetricsCase) => ({ labels: Int32Array.from(c.labels.data), probabilities: Float32Array.from(c.probabilities.data), numClasses: c.numClasses });
const close = (actual: number, expected: number, label: string) => expect(Math.abs(actual - expected), `${label}: ${actual} vs sklearn ${expected}`).toBeLessThan(1e-9);

describe('classification metrics match scikit-learn', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { labels, probabilities, numClasses } = inputs(c);
    const predictions = argmaxRows(probabilities, numClasses);
    expect(Array.from(predictions)).toEqual(c.predictions.data);
    const matrix = confusionMatrix(labels, predictions, numClasses);
    expect(matrix).toEqual(c.confusionMatrix);
    close(accuracyFromMatrix(matrix), c.accuracy, 'accuracy');
    const per = perClassScores(matrix);
    per.precision.forEach((v, k) => close(v, c.precision_per_class[k], `precision[${k}]`));
    per.recall.forEach((v, k) => close(v, c.recall_per_class[k], `recall[${k}]`));
    per.f1.forEach((v, k) => close(v, c.f1_per_class[k], `f1[${k}]`));
    const averages = numClasses === 2 ? (['binary', 'macro', 'weighted'] as const) : (['macro', 'weighted'] as const);
    for (const avg of averages) {
      const s = averagedScores(matrix, avg);
      close(s.precision, c[`precision_${avg}`] as number, `precision ${avg}`);
      close(s.recall, c[`recall_${avg}`] as number, `recall ${avg}`);
      close(s.f1, c[`f1_${avg}`] as number, `f1 ${avg}`);
    }
    close(logLoss(labels, probabilities, numClasses), c.logLoss, 'log loss');
    const auc = rocAuc(labels, probabilities, numClasses);
    if (c.rocAuc === null) expect(auc).toBeNaN();
    else close(auc, c.rocAuc, 'roc auc');
    if (c.rocCurve) {
      const curve = rocCurve(Array.from(labels, (y) => y === 1), Array.from(probabilities.filter((_, i) => i % 2 === 1)));
      expect(curve.fpr.length).toBe(c.rocCurve.fpr.length);
      curve.fpr.forEach((v, i) => close(v, c.rocCurve!.fpr[i], `fpr[${i}]`));
      curve.tpr.forEach((v, i) => close(v, c.rocCurve!.tpr[i], `tpr[${i}]`));
      curve.thresholds.forEach((v, i) => close(v, c.rocCurve!.thresholds[i], `threshold[${i}]`));
    }

    // The one-call summary uses the binary average for 2 classes and macro otherwise.
    const m = classificationMetrics({ labels, probabilities, numClasses });
    const headline = numClasses === 2 ? 'binary' : 'macro';
    close(m.f1, c[`f1_${headline}`] as number, 'headline f1');
    close(m.precision, c[`precision_${headline}`] as number, 'headline precision');
    close(m.recall, c[`recall_${headline}`] as number, 'headline recall');
    close(m.f1Weighted as number, c.f1_weighted as number, 'f1Weighted');
    close(m.loss, c.logLoss, 'loss defaults to the log loss');
    if (c.rocAuc === null) expect(m.rocAuc).toBeUndefined();
    else close(m.rocAuc as number, c.rocAuc, 'metrics.rocAuc');
  });

  it('the ties case really has ties (the fixture tests what it claims)', () => {
    const ties = cases.find((c) => c.name === 'binary_ties')!;
    const scores = ties.probabilities.data.filter((_, i) => i % 2 === 1);
    expect(new Set(scores).size).toBeLessThan(scores.length / 2);
    const never = cases.find((c) => c.name === 'multiclass_never_predicted')!;
    expect(never.predictions.data.includes(3)).toBe(false);
    expect(never.labels.data.includes(3)).toBe(true);
  });

  it('accumulating batches gives the metrics of the whole set, with a sample-weighted loss', () => {
    const c = cases.find((x) => x.name === 'multiclass_ties')!;
    const { labels, probabilities, numClasses } = inputs(c);
    const acc = new MetricAccumulator(numClasses);
    const cuts = [0, 7, 30, labels.length];
    const batchLosses = [0.5, 1.0, 2.0];
    for (let b = 0; b < 3; b++) {
      acc.add(labels.subarray(cuts[b], cuts[b + 1]), probabilities.subarray(cuts[b] * numClasses, cuts[b + 1] * numClasses), batchLosses[b]);
    }
    const m = acc.compute();
    const whole = classificationMetrics({ labels, probabilities, numClasses });
    expect(m.confusionMatrix).toEqual(whole.confusionMatrix);
    expect(m.f1).toBe(whole.f1);
    expect(m.rocAuc).toBe(whole.rocAuc);
    const weighted = batchLosses.reduce((s, l, b) => s + l * (cuts[b + 1] - cuts[b]), 0) / labels.length;
    expect(m.loss).toBeCloseTo(weighted, 12);
    expect(acc.count).toBe(labels.length);
  });

  it('rejects inputs that do not fit, naming the problem', () => {
    expect(() => classificationMetrics({ labels: [0, 1], probabilities: [0.5, 0.5, 0.5], numClasses: 2 })).toThrow(/expected 2 × 2 = 4 probabilities/);
    expect(() => classificationMetrics({ labels: [0, 3], probabilities: [0.5, 0.5, 0.5, 0.5], numClasses: 2 })).toThrow(/label 3 at row 1 is outside 0..1/);
    expect(() => averagedScores([[1, 0, 0], [0, 1, 0], [0, 0, 1]], 'binary')).toThrow(/needs 2 classes/);
    expect(() => new MetricAccumulator(1)).toThrow(/numClasses ≥ 2/);
    expect(() => classificationMetrics({ labels: [], probabilities: [], numClasses: 2 })).toThrow(/no examples/);
    expect(() => rocCurve([true, false], [0.3, Number.NaN])).toThrow(/score at row 1 is NaN/);
    // A diverged model (NaN probabilities) still gets counts; the AUC is left out rather than made up.
    expect(classificationMetrics({ labels: [0, 1], probabilities: [Number.NaN, Number.NaN, 0.2, 0.8], numClasses: 2 }).rocAuc).toBeUndefined();
  });
});
