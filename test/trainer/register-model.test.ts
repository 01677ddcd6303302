// tracking.registerModel: the restored best model is registered as a model version whose source is its
// checkpoint artifact in the run, linked to the run; checked with MLflow's own MlflowClient.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { runMlflowScript } from '../tracking/mlflow-python.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-register-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Version { name: string; version: string; source: string; runId: string; status: string; tags: Record<string, string> }
interface ReadResult { models: Record<string, { latestVersions: Version[] }>; versions: Record<string, Version> }

describe('tracking.registerModel', () => {
  it('registers the best checkpoint of each run as the next version, visible to MlflowClient', async () => {
    const db = join(root, 'mlflow.db');
    // The toy task overfits: val_loss is lowest early, so the best checkpoint is not the last one.
    const config = (name: string) => ({
      ...toyConfig(join(root, name), { epochs: 4, earlyStopping: { monitor: 'val_loss', mode: 'min' } }),
      tracking: { enabled: true, trackingUri: `sqlite:///${db}`, artifactLocation: join(root, 'artifacts'), experimentName: 'register', registerModel: 'toy-classifier' },
    });
    const logs: string[] = [];
    const runs = [];
    for (const name of ['a', 'b']) {
      const result = await Trainer.fromConfig(config(name), { createModel: tinyModelFactory(0), log: (m) => logs.push(m), progress: false, plots: false }).fit();
      expect(result.restoredBest).toBeDefined();
      runs.push(result);
    }
    const request = join(root, 'request.json');
    writeFileSync(request, JSON.stringify({ db, models: ['toy-classifier'], versions: [['toy-classifier', '1'], ['toy-classifier', '2']] }));
    const read = await runMlflowScript<ReadResult>('read_store.py', [request]);
    runs.forEach((run, i) => {
      const v = read.versions[`toy-classifier/${i + 1}`];
      const best = run.restoredBest!;
      expect(v.runId).toBe(run.runId);
      expect(v.status).toBe('READY');
      // The source is the restored checkpoint, as the run's artifact (a file MLflow can download).
      const file = best.checkpoint.split('/').pop()!;
      expect(v.source.endsWith(`/${run.runId}/artifacts/checkpoints/${file}`)).toBe(true);
      const path = v.source.startsWith('file://') ? fileURLToPath(v.source) : v.source;
      expect(existsSync(path)).toBe(true);
      expect(v.tags['mlx_train.step']).toBe(String(best.step));
      expect(Number(v.tags['mlx_train.val_loss'])).toBe(best.value);
    });
    expect(read.models['toy-classifier'].latestVersions.map((v) => v.version)).toEqual(['2']);
    expect(logs.filter((l) => /^registered checkpoints\/checkpoint-\d+\.safetensors as model 'toy-classifier' version [12] \(run [0-9a-f]+\)$/.test(l))).toHaveLength(2);
  }, 300_000);
});
