// The end of a run describes the model fit() returns: `train` prints the restored best model's metrics
// and checkpoint (the last evaluation apart, labelled), and the run gets the restored model's metrics as
// best_val_* next to the last evaluation's val_*.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, Trainer } from '../../src/index.js';
import { formatTrainResult, trainResultJson } from '../../src/cli/train.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-end-of-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(name: string, mode: 'min' | 'max') {
  const dir = join(root, name);
  // The toy task overfits: val_loss is lowest early (min: an early checkpoint is restored), highest last (max: the last is best).
  return { ...toyConfig(dir, { epochs: 4, earlyStopping: { monitor: 'val_loss', mode } }), tracking: { enabled: true, trackingUri: `sqlite:///${join(dir, 'mlflow.db')}`, artifactLocation: join(dir, 'artifacts'), experimentName: 'end' } };
}

describe('end-of-run summary', () => {
  it('prints and logs the restored best model, not the last evaluation', async () => {
    const c = config('restored', 'min');
    const result = await Trainer.fromConfig(c, { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false }).fit();
    const best = result.restoredBest!;
    expect(best.step).toBeLessThan(result.state.globalStep);
    const text = formatTrainResult(result, result.state.config);
    expect(text).toContain(`validation (the restored best model, step ${best.step} of ${result.state.globalStep}): accuracy ${best.metrics!.accuracy.toFixed(4)}`);
    expect(text).toContain(`loss ${best.metrics!.loss.toFixed(4)}`);
    expect(text).toContain(`checkpoint: ${best.checkpoint}\n`);
    expect(text).toContain(`last evaluation (step ${result.state.globalStep}, not kept): accuracy ${result.metrics!.accuracy.toFixed(4)}`);
    expect(text).not.toContain(`checkpoint: ${result.checkpoint}\n`);
    const json = trainResultJson(result, result.state.config) as { metrics: unknown; checkpoint: string; model: string; modelStep: number; last: { metrics: unknown } };
    expect(json).toMatchObject({ model: 'best', modelStep: best.step, checkpoint: best.checkpoint, metrics: best.metrics, last: { metrics: result.metrics } });

    const store = await openStore(c.tracking.trackingUri);
    try {
      const run = await store.getRun(result.runId!);
      expect(run.data.metrics.best_val_loss).toBe(best.metrics!.loss);
      expect(run.data.metrics.best_val_accuracy).toBe(best.metrics!.accuracy);
      expect(run.data.metrics.val_loss).toBe(result.metrics!.loss);
      expect(run.data.metrics.best_val_loss).not.toBe(run.data.metrics.val_loss);
    } finally {
      await store.close();
    }
  });

  it('when the last evaluation is the best, it is the model fit() returns', async () => {
    const c = config('last', 'max');
    const result = await Trainer.fromConfig(c, { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false }).fit();
    expect(result.restoredBest).toBeUndefined();
    const text = formatTrainResult(result, result.state.config);
    expect(text).toContain(`validation (the model at step ${result.state.globalStep}): accuracy ${result.metrics!.accuracy.toFixed(4)}`);
    expect(text).not.toContain('last evaluation');
    const store = await openStore(c.tracking.trackingUri);
    try {
      expect((await store.getRun(result.runId!)).data.metrics.best_val_accuracy).toBe(result.metrics!.accuracy);
    } finally {
      await store.close();
    }
  });
});
