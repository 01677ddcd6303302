/** Trainer.fit() with data.kFolds ≥ 2: one Trainer per fold, nested tracked runs, the fold ensemble for predict(). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, Trainer } from '../../src/index.js';
import { trainResultJson } from '../../src/cli/train.js';
import { describeCrossValidation } from '../../src/trainer/kfold-report.js';
import { predictFile } from '../../src/trainer/predict.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-trainer-kfold-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Trainer k-fold', () => {
  it('trains k=2 folds as child runs of a parent run with mean/std metrics and predicts with both fold models', async () => {
    const dir = join(root, 'cv');
    const base = toyConfig(dir, { epochs: 4 });
    const config = {
      ...base,
      data: { ...base.data, kFolds: 2 },
      tracking: { enabled: true, trackingUri: `sqlite:///${join(dir, 'mlflow.db')}`, artifactLocation: join(dir, 'artifacts'), experimentName: 'kfold-test' },
    };
    const trainer = Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false });
    const result = await trainer.fit();
    const cv = result.crossValidation!;
    expect(cv.k).toBe(2);
    expect(result.folds).toHaveLength(2);
    // Each fold validates on its own half: together they cover the 64 rows once.
    expect(cv.folds.map((f) => f.validationSize).reduce((a, b) => a + b)).toBe(64);
    // Each fold is scored with the model its fit() left: the best checkpoint's when one was restored.
    expect(cv.folds.map((f) => f.metrics.accuracy)).toEqual(result.folds!.map((f) => (f.restoredBest?.metrics ?? f.metrics!).accuracy));
    expect(cv.mean.val_accuracy).toBeCloseTo((cv.folds[0].metrics.accuracy + cv.folds[1].metrics.accuracy) / 2, 12);
    expect(cv.outOfFold.metrics.samples).toBe(64);
    // The honest figures: each fold's last-epoch model (its last evaluation), pooled out of fold.
    const last = cv.lastEpoch!;
    expect(cv.folds.map((f) => f.lastEpochMetrics!.accuracy)).toEqual(result.folds!.map((f) => f.metrics!.accuracy));
    expect(last.metrics.samples).toBe(64);
    expect(last.mean.val_accuracy).toBeCloseTo((cv.folds[0].lastEpochMetrics!.accuracy + cv.folds[1].lastEpochMetrics!.accuracy) / 2, 12);
    const json = trainResultJson(result, result.state.config) as { model: string; crossValidation: { lastEpoch: { heldOut: boolean; outOfFold: unknown }; selectedOnFold: { heldOut: boolean } } };
    expect(json.model).toBe('k-fold ensemble');
    expect(json.crossValidation.lastEpoch).toMatchObject({ heldOut: true, outOfFold: last.metrics });
    expect(json.crossValidation.selectedOnFold.heldOut).toBe(false);
    expect(describeCrossValidation(cv)).toMatch(/last epoch \(held out, nothing selected on the fold: the honest estimate\): val_accuracy [\d.]+ ± [\d.]+, out-of-fold accuracy [\d.]+\n.*best checkpoint \(selected on the fold it is scored on: optimistic\)/);
    for (const fold of [0, 1]) expect(existsSync(join(dir, 'out', `fold-${fold}`, 'checkpoints'))).toBe(true);
    expect(await trainer.evaluate()).toBe(cv.outOfFold.metrics);

    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`);
    try {
      const parent = await store.getRun(result.runId!);
      expect(parent.info.status).toBe('FINISHED');
      expect(parent.data.metrics.val_accuracy).toBeCloseTo(cv.mean.val_accuracy, 12);
      expect(parent.data.metrics.val_accuracy_std).toBeCloseTo(cv.std.val_accuracy, 12);
      expect(parent.data.metrics.oof_accuracy).toBe(cv.outOfFold.metrics.accuracy);
      expect(parent.data.metrics.oof_last_epoch_accuracy).toBe(last.metrics.accuracy);
      expect(parent.data.metrics.last_epoch_val_accuracy).toBeCloseTo(last.mean.val_accuracy, 12);
      for (const [fold, f] of result.folds!.entries()) {
        const child = await store.getRun(f.runId!);
        expect(child.data.tags['mlflow.parentRunId']).toBe(result.runId);
        expect(child.data.tags['mlx_train.fold']).toBe(String(fold));
        expect(child.data.metrics.val_accuracy).toBe(f.metrics!.accuracy);
      }
    } finally {
      await store.close();
    }

    // predict() averages the fold models' probabilities.
    const predictions = await trainer.predict(join(dir, 'toy.csv'));
    expect(predictions).toHaveLength(64);
    const m0 = cv.members[0];
    const m1 = cv.members[1];
    const single = [await predictFile(m0, join(dir, 'toy.csv')), await predictFile(m1, join(dir, 'toy.csv'))];
    for (let i = 0; i < 64; i++) {
      for (let c = 0; c < 2; c++) expect(predictions[i].probabilities[c]).toBeCloseTo((single[0].probabilities[2 * i + c] + single[1].probabilities[2 * i + c]) / 2, 6);
    }

    // A new Trainer loads every fold's best checkpoint (the models fit() left): the same out-of-fold
    // metrics and ensemble predictions.
    const loaded = Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {}, progress: false });
    const paths = loaded.loadWeightsFrom('best').split(', ');
    expect(paths).toEqual(result.folds!.map((f) => f.restoredBest?.checkpoint ?? f.checkpoint));
    const oof = await loaded.evaluate();
    expect(oof.accuracy).toBe(cv.outOfFold.metrics.accuracy);
    expect(oof.confusionMatrix).toEqual(cv.outOfFold.metrics.confusionMatrix);
    expect(oof.loss).toBeCloseTo(cv.outOfFold.metrics.loss, 5);
    const again = await loaded.predict(join(dir, 'toy.csv'));
    again.forEach((p, i) => {
      expect(p.label).toBe(predictions[i].label);
      expect(p.probabilities[1]).toBeCloseTo(predictions[i].probabilities[1], 6);
    });
  }, 120_000);
});
