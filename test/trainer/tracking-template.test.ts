// A tracked run records both the configured data.template and the template the data pipeline resolved it to.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPreset } from '../../src/config/index.js';
import { prepareData, TITANIC } from '../../src/data/index.js';
import { openStore } from '../../src/index.js';
import { TrackingCallback } from '../../src/trainer/callbacks/index.js';
import { createState } from '../../src/trainer/state.js';
import { minilmDir } from '../tokenizers/reference.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-tracking-template-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tracking a run with data.template auto', () => {
  it('logs data.resolvedTemplate beside data.template', async () => {
    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`, { artifactRoot: join(dir, 'artifacts') });
    try {
      const config = loadPreset('standard');
      const data = prepareData({ template: config.data.template, tokenizer: minilmDir(), cacheDir: null, maxLength: 32 });
      const state = createState(config, 1);
      const callback = new TrackingCallback({ log: () => {}, data, store });
      await callback.onTrainStart(state);
      await callback.onTrainEnd(state);
      const run = await store.getRun(state.runId!);
      expect(run.data.params['data.template']).toBe('auto');
      expect(run.data.params['data.resolvedTemplate']).toBe(TITANIC.recommendedTemplate);
    } finally {
      await store.close();
    }
  });
});
