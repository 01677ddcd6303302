import { describe, expect, it } from 'vitest';
import { crossValidate } from '../../src/trainer/kfold.js';
import { confusionMatrix } from '../../src/trainer/metrics.js';
import { predictFile } from '../../src/trainer/predict.js';
import { titanicTestCsv, trainTiny } from './predict-kfold-helpers.js';

describe('crossValidate', () => {
  it('every row gets exactly one out-of-fold prediction; fold confusion matrices add up to the OOF one', async () => {
    const seen: number[] = [];
    const cv = await crossValidate({
      data: { cacheDir: null, vocabSize: 300, maxLength: 48, batching: { batchSize: 64 } },
      k: 3,
      trainFold: async ({ fold, k, data }) => {
        expect(k).toBe(3);
        expect(data.options.fold).toBe(fold);
        return { model: await trainTiny(data, 10 + fold) };
      },
      onFoldEnd: (r) => void seen.push(r.fold),
    });
    expect(seen).toEqual([0, 1, 2]);
    const n = cv.outOfFold.labels.length;
    expect(n).toBe(891);
    expect(cv.folds.reduce((s, f) => s + f.validationSize, 0)).toBe(n);
    cv.folds.forEach((f) => expect(f.trainSize + f.validationSize).toBe(n));

    const summed = cv.folds.map((f) => f.metrics.confusionMatrix).reduce((a, m) => a.map((row, i) => row.map((v, j) => v + m[i][j])));
    expect(cv.outOfFold.metrics.confusionMatrix).toEqual(summed);
    expect(confusionMatrix(cv.outOfFold.labels, cv.outOfFold.predictions, 2)).toEqual(summed);
    for (let i = 0; i < n; i++) expect(cv.outOfFold.probabilities[2 * i] + cv.outOfFold.probabilities[2 * i + 1]).toBeCloseTo(1, 5);

    const accuracies = cv.folds.map((f) => f.metrics.accuracy);
    expect(cv.mean.val_accuracy).toBeCloseTo(accuracies.reduce((a, b) => a + b) / 3, 12);
    expect(cv.std.val_accuracy).toBeGreaterThanOrEqual(0);
    expect(cv.members).toHaveLength(3);

    // The fold models are the ensemble for predict().
    const test = titanicTestCsv(12);
    const predictions = await predictFile(cv.members, test.path);
    expect(predictions.ids).toEqual(test.ids);
  });

  it('rejects fewer than two folds', async () => {
    await expect(crossValidate({ data: {}, k: 1, trainFold: () => Promise.reject(new Error('unreachable')) })).rejects.toThrow(/expected k ≥ 2 folds but received 1/);
  });
});
