import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-load-weights-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Trainer.loadWeightsFrom', () => {
  it("a new Trainer loading 'latest' evaluates and predicts exactly like the trained one", async () => {
    const dir = join(root, 'fit');
    const config = toyConfig(dir, { epochs: 3 });
    const trained = Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {} });
    // Keep the last weights in memory ('latest' is the newest checkpoint, not the best one).
    const result = await trained.fit({ restoreBest: false });
    expect(existsSync(join(dir, 'out', 'tokenizer.json'))).toBe(true);
    expect(existsSync(join(dir, 'out', 'labels.json'))).toBe(true);
    const before = await trained.predict(join(dir, 'toy.csv'));

    // The untrained model scores differently, so equal metrics below come from the loaded weights.
    const untrained = await Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {} }).evaluate();
    expect(untrained.loss).not.toBeCloseTo(result.metrics!.loss, 3);

    const fresh = Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {} });
    const path = fresh.loadWeightsFrom('latest');
    expect(path).toBe(result.checkpoint);
    const metrics = await fresh.evaluate();
    expect(metrics.accuracy).toBe(result.metrics!.accuracy);
    expect(metrics.loss).toBeCloseTo(result.metrics!.loss, 6);
    expect(metrics.confusionMatrix).toEqual(result.metrics!.confusionMatrix);
    // The vocabulary comes from the tokenizer.json that fit() saved, not from a retrained one.
    expect(fresh.data.tokenizer.source).toBe(join(dir, 'out', 'tokenizer.json'));
    expect(fresh.data.tokenizer.toJSON()).toEqual(trained.data.tokenizer.toJSON());
    expect(fresh.data.labels.classes).toEqual(trained.data.labels.classes);
    const after = await fresh.predict(join(dir, 'toy.csv'));
    expect(after.map((p) => p.label)).toEqual(before.map((p) => p.label));
  });

  it('names the checkpoint folder when there is nothing to load', () => {
    const dir = join(root, 'empty');
    const trainer = Trainer.fromConfig(toyConfig(dir), { createModel: tinyModelFactory(0), log: () => {} });
    expect(() => trainer.loadWeightsFrom('latest')).toThrow(expect.objectContaining({ code: 'CHECKPOINT_ERROR', message: expect.stringContaining(join(dir, 'out', 'checkpoints')) }));
  });
});
