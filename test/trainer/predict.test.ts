import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv, predictionLoader, prepareData } from '../../src/data/index.js';
import { evaluateDetailed } from '../../src/trainer/evaluate.js';
import { predict, predictFile, predictProbabilities } from '../../src/trainer/predict.js';
import { titanicTestCsv, trainTiny } from './predict-kfold-helpers.js';

const dataOptions = { cacheDir: null, vocabSize: 300, maxLength: 48, batching: { batchSize: 32 } };

describe('predict', () => {
  it('writes a Kaggle submission (PassengerId,Survived) in test-file order with the original labels', async () => {
    const data = prepareData(dataOptions);
    const model = await trainTiny(data, 1, 2);
    const test = titanicTestCsv(57);
    const out = join(dirname(test.path), 'submission.csv');
    const result = await predict({ members: { model, data }, testPath: test.path, outputPath: out, batching: { batchSize: 16 } });

    const csv = parseCsv(readFileSync(out, 'utf8'), out);
    expect(csv.columns).toEqual(['PassengerId', 'Survived']);
    expect(csv.rows.map((r) => r[0])).toEqual(test.ids);
    expect(new Set(csv.rows.map((r) => r[1])).size).toBeGreaterThan(0);
    for (const r of csv.rows) expect(['0', '1']).toContain(r[1]);
    expect(result.labels).toEqual(Array.from(result.classIds, (c) => data.labels.decode(c)));
    // Each row's probabilities are a distribution and the label is its argmax.
    for (let i = 0; i < 57; i++) {
      const [p0, p1] = [result.probabilities[2 * i], result.probabilities[2 * i + 1]];
      expect(p0 + p1).toBeCloseTo(1, 5);
      expect(result.classIds[i]).toBe(p1 > p0 ? 1 : 0);
    }
    // The test rows are the first training rows: the test-file pipeline (encodeFile → predictionLoader)
    // must give them the probabilities the training pipeline gives.
    const byRow = new Map<number, number>();
    for (const loader of [data.trainLoader(), data.validationLoader()]) {
      const r = await evaluateDetailed(model, loader);
      r.rows!.forEach((row, i) => byRow.set(row, r.probabilities[2 * i + 1]));
    }
    for (let i = 0; i < 57; i++) expect(Math.abs(result.probabilities[2 * i + 1] - byRow.get(i)!)).toBeLessThan(1e-5);
  });

  it('an ensemble averages its members\u2019 probabilities, each member encoding with its own tokenizer', async () => {
    const a = prepareData({ ...dataOptions, kFolds: 2, fold: 0 });
    const b = prepareData({ ...dataOptions, kFolds: 2, fold: 1 });
    const members = [
      { model: await trainTiny(a, 1), data: a },
      { model: await trainTiny(b, 2), data: b },
    ];
    const test = titanicTestCsv(20);
    const ensemble = await predictFile(members, test.path);
    const single = await Promise.all(
      members.map(async (m) => {
        const encoded = m.data.encodeFile(test.path);
        return (await predictProbabilities(m.model, predictionLoader(encoded, m.data.tokenizer), encoded.rowCount)).probabilities;
      }),
    );
    ensemble.probabilities.forEach((p, i) => expect(Math.abs(p - (single[0][i] + single[1][i]) / 2)).toBeLessThan(1e-6));
    expect(single[0]).not.toEqual(single[1]);
  });

  it('refuses mismatched ensembles and empty input with clear errors', async () => {
    const data = prepareData(dataOptions);
    const model = await trainTiny(data, 1, 0);
    const test = titanicTestCsv(5);
    await expect(predictFile([], test.path)).rejects.toThrow(/no models given/);
    const other = prepareData({ ...dataOptions, labelClasses: ['1', '0'] });
    await expect(predictFile([{ model, data }, { model, data: other }], test.path)).rejects.toThrow(/member 1 has label classes \[1, 0\] but member 0 has \[0, 1\]/);
  });
});
