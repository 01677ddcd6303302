import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { bestCheckpoint, latestCheckpoint, loadCheckpoint } from '../../src/trainer/run-checkpoint.js';
import { snapshot, tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-restore-best-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A checkpoint's weights as plain arrays, keyed like snapshot(). */
function checkpointWeights(path: string): Record<string, Float32Array> {
  const ck = loadCheckpoint(path);
  const out = Object.fromEntries(ck.model.map(([k, v]) => [k, v.toTypedArray() as Float32Array]));
  for (const [, v] of [...ck.model, ...ck.optimizer]) v.dispose();
  ck.rngKey.dispose();
  return out;
}

// At the toy config's high rate the tiny model overfits: its validation loss is lowest after the first
// epoch and highest after the last (seeded, so the same on every run). Monitoring the loss in 'min' mode
// therefore picks an early model, in 'max' mode the last one.
const firstIsBest = { epochs: 4, earlyStopping: { monitor: 'val_loss', mode: 'min' } };
const lastIsBest = { epochs: 4, earlyStopping: { monitor: 'val_loss', mode: 'max' } };

describe('Trainer.fit restores the best checkpoint', () => {
  it('leaves the best weights in the model, so evaluate() and predict() use them', async () => {
    const dir = join(root, 'restore');
    const trainer = Trainer.fromConfig(toyConfig(dir, firstIsBest), { createModel: tinyModelFactory(0), log: () => {} });
    const result = await trainer.fit();
    const best = result.restoredBest!;
    expect(best).toBeDefined();
    expect(best.step).toBe(result.state.best!.step);
    expect(best.step).toBeLessThan(result.state.globalStep);
    expect(best.checkpoint).toMatch(new RegExp(`checkpoint-0*${best.step}\\.safetensors$`));
    // The in-memory weights are exactly the best checkpoint's, not the last step's.
    const weights = snapshot(trainer.model);
    expect(weights).toEqual(checkpointWeights(best.checkpoint));
    expect(weights).not.toEqual(checkpointWeights(latestCheckpoint(trainer.checkpointDir)!));
    // Evaluating the restored model reproduces the evaluation recorded at the best step.
    const again = await trainer.evaluate();
    expect(again).toEqual(best.metrics);
    expect(again.loss).toBe(result.state.best!.value);
    expect(again.loss).not.toBe(result.metrics!.loss);
    // predict() too: the same probabilities as a fresh Trainer loading the best checkpoint, which
    // loadWeightsFrom('best') finds from the newest checkpoint's record.
    const csv = join(dir, 'toy.csv');
    const fresh = Trainer.fromConfig(toyConfig(dir, firstIsBest), { createModel: tinyModelFactory(0), log: () => {} });
    expect(bestCheckpoint(trainer.checkpointDir)).toBe(best.checkpoint);
    expect(fresh.loadWeightsFrom('best')).toBe(best.checkpoint);
    expect(await trainer.predict(csv)).toEqual(await fresh.predict(csv));
  });

  it('keeps the last weights with restoreBest: false', async () => {
    const dir = join(root, 'keep-last');
    const trainer = Trainer.fromConfig(toyConfig(dir, firstIsBest), { createModel: tinyModelFactory(0), log: () => {} });
    const result = await trainer.fit({ restoreBest: false });
    expect(result.restoredBest).toBeUndefined();
    expect(result.state.best!.step).toBeLessThan(result.state.globalStep);
    expect(snapshot(trainer.model)).toEqual(checkpointWeights(latestCheckpoint(trainer.checkpointDir)!));
    expect(await trainer.evaluate()).toEqual(result.metrics);
  });

  it('changes nothing when the last evaluation is the best', async () => {
    const dir = join(root, 'last-is-best');
    const trainer = Trainer.fromConfig(toyConfig(dir, lastIsBest), { createModel: tinyModelFactory(0), log: () => {} });
    const result = await trainer.fit();
    expect(result.state.best!.step).toBe(result.state.globalStep);
    expect(result.restoredBest).toBeUndefined();
    expect(await trainer.evaluate()).toEqual(result.metrics);
  });
});
