// The Trainer's library hooks: a custom loss trains the model (and changes the weights), custom metrics
// are evaluated, logged and drive early stopping like the built-in ones.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as mx from '../../../src/core/index.js';
import { Trainer } from '../../../src/index.js';
import { crossEntropy } from '../../../src/nn/losses.js';
import { TrackingStore } from '../../../src/tracking/index.js';
import type { CustomMetrics } from '../../../src/trainer/tasks/hooks.js';
import { snapshot, tinyModelFactory, toyConfig } from '../../helpers/tiny-model.js';
import { regressionCsv } from './task-csvs.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-hooks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Trainer hooks', () => {
  it('a custom loss is what trains: the weights differ from the built-in loss\'s, and it sees logits and labels', async () => {
    const seen: number[][] = [];
    const trained = async (loss?: (logits: mx.Array, batch: { labels: mx.Array }) => mx.Array) => {
      const t = Trainer.fromConfig(toyConfig(join(root, loss ? 'custom' : 'builtin'), { epochs: 1 }), { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false, loss });
      await t.fit();
      return snapshot(t.model);
    };
    const builtin = await trained();
    // Cross-entropy on the flipped labels: a loss the built-in config cannot express.
    const custom = await trained((logits, batch) => {
      seen.push(logits.shape);
      return crossEntropy(logits, mx.subtract(1, batch.labels), { reduction: 'mean' });
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0][1]).toBe(2);
    const key = Object.keys(builtin).find((k) => k.includes('classifier') || k.includes('head')) ?? Object.keys(builtin)[0];
    const diff = builtin[key].reduce((m, v, i) => Math.max(m, Math.abs(v - custom[key][i])), 0);
    expect(diff).toBeGreaterThan(1e-3);
  }, 120_000);

  it('a custom metric is logged as val_<name> and its monitor drives early stopping (mode max)', async () => {
    let calls = 0;
    // Highest at the first evaluation, then falling: patience 1 stops after the second evaluation.
    const metrics: CustomMetrics = (predictions, labels) => {
      calls++;
      expect(predictions.task).toBe('classification');
      expect(predictions.values).toHaveLength(labels.length);
      return { agreement_score: 1 / calls };
    };
    const dir = join(root, 'custom-metric');
    const db = join(dir, 'mlflow.db');
    const config = toyConfig(dir, { epochs: 10, earlyStopping: { enabled: true, monitor: 'val_agreement_score', mode: 'max', patience: 1 } }, {
      tracking: { enabled: true, trackingUri: `sqlite:///${db}`, artifactLocation: join(dir, 'artifacts') },
    });
    const t = Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false, metrics });
    const r = await t.fit();
    expect(r.state.epoch).toBe(2); // stopped after 2 of 10 epochs
    expect(r.restoredBest?.metric).toBe('val_agreement_score');
    expect(r.restoredBest?.value).toBe(1);
    const store = new TrackingStore(`sqlite:///${db}`);
    try {
      const history = await store.getMetricHistory(r.runId!, 'val_agreement_score');
      expect(history.map((m) => m.value).slice(0, 2)).toEqual([1, 0.5]);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('custom metrics of a regression see values in target units', async () => {
    const dir = join(root, 'reg');
    let seen: { values: ArrayLike<number>; labels: ArrayLike<number> } | null = null;
    const t = Trainer.fromConfig(
      { data: { trainPath: regressionCsv(dir, 64), labelColumn: 'price', idColumn: 'id', vocabSize: 100, cacheDir: join(dir, 'cache') }, model: { maxLength: 16 }, training: { epochs: 1, batchSize: 16, compile: false }, tracking: { enabled: false }, outputDir: join(dir, 'out') },
      { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false, metrics: (p, labels) => ((seen = { values: p.values, labels }), { n: labels.length }) },
    );
    const m = await t.evaluate();
    expect(m.n).toBe(13);
    const labels = Array.from(seen!.labels);
    expect(Math.min(...labels)).toBeGreaterThan(15); // prices 18..62, not standardised values
    expect(Math.max(...labels)).toBeLessThan(65);
  }, 120_000);

  it('a hook that returns a non-number is an error naming the metric', async () => {
    const t = Trainer.fromConfig(toyConfig(join(root, 'bad')), { createModel: tinyModelFactory(0), log: () => {}, progress: false, plots: false, metrics: () => ({ oops: 'x' as unknown as number }) });
    await expect(t.evaluate()).rejects.toThrow(/the metrics hook returned "x" for 'oops'; expected a number/);
  });
});
