/**
 * Evaluating a model whose weights hold NaN gives a NaN loss (logged as null): the Trainer now warns
 * that the weights contain NaN, naming tensors, instead of reporting the numbers silently.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, Trainer } from '../../src/index.js';
import { tinyModelFactory, toyConfig, type TinyClassifier } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-nan-eval-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function trainer(name: string, logs: string[]): Trainer {
  return new Trainer({ overrides: toyConfig(join(root, name)), createModel: tinyModelFactory(0), log: (m) => logs.push(m), progress: false, plots: false });
}

describe('evaluate on NaN weights', () => {
  it('warns that the weights contain NaN, naming the tensor', async () => {
    const logs: string[] = [];
    const t = trainer('nan', logs);
    const model = t.setup().model as unknown as TinyClassifier;
    model.hidden.weight = mx.full(model.hidden.weight.shape, Number.NaN, 'float32');
    const metrics = await t.evaluate();
    expect(Number.isNaN(metrics.loss)).toBe(true);
    const warning = logs.find((l) => l.includes('weights contain NaN'));
    expect(warning).toBe(`warning: the model weights contain NaN (1 tensor(s), e.g. hidden.weight): the validation loss is NaN and the metrics are meaningless`);
  });

  it('finite weights give no warning', async () => {
    const logs: string[] = [];
    const metrics = await trainer('finite', logs).evaluate();
    expect(Number.isFinite(metrics.loss)).toBe(true);
    expect(logs.filter((l) => l.includes('NaN'))).toEqual([]);
  });
});
