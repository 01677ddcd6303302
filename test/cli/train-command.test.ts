import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/tracking/index.js';
import { cli, root } from './helpers.js';

// One real (short) training run through the CLI, then eval/predict/runs on its outputs.
const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-train-'));
const db = join(dir, 'mlruns', 'mlflow.db');
const env = { MLFLOW_TRACKING_URI: `sqlite:///${db}` };
const outputDir = join(dir, 'outputs');
const fast = ['--preset', 'quick', '--set', 'training.epochs=1', '--set', 'model.maxLength=32', '--output-dir', outputDir];
const junk = join(dir, 'junk.safetensors');
writeFileSync(junk, 'not a checkpoint');

describe('mlx-train train / eval / predict', () => {
  let runId = '';

  it('trains the quick preset on the embedded data and logs the run', () => {
    const r = cli(['train', ...fast, '-e', 'cli_train', '--json'], { cwd: dir, env, timeoutMs: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('FINISHED');
    expect(out.metrics.accuracy).toBeGreaterThan(0.5);
    runId = out.runId;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(existsSync(db)).toBe(true);
  }, 600_000);

  it('the run is in the store with params, metrics and FINISHED status', async () => {
    const store = new TrackingStore(`sqlite:///${db}`);
    try {
      const run = await store.getRun(runId);
      expect(run.info.status).toBe('FINISHED');
      expect(run.data.params['training.epochs']).toBe('1');
      expect(run.data.metrics.val_accuracy).toBeGreaterThan(0.5);
      const exp = await store.getExperimentByName('cli_train');
      expect(exp?.experimentId).toBe(run.info.experimentId);
    } finally {
      await store.close();
    }
    const listed = cli(['runs', '--json', '-e', 'cli_train'], { cwd: dir, env });
    expect(JSON.parse(listed.stdout)[0].info.runId).toBe(runId);
  });

  it('eval reads the best checkpoint by default and reports the validation metrics', () => {
    const r = cli(['eval', ...fast, '--json'], { cwd: dir, env, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const { metrics } = JSON.parse(r.stdout);
    expect(metrics.accuracy).toBeGreaterThan(0.5);
    expect(metrics.confusionMatrix.length).toBe(2);
  }, 300_000);

  it('predict writes a Kaggle submission CSV', () => {
    const test = join(dir, 'test.csv');
    const lines = readFileSync(join(root, 'data', 'titanic', 'train.csv'), 'utf8').trim().split('\n');
    // The test file has no label column: drop Survived (the 2nd column) from the first 20 rows.
    const strip = (line: string) => line.replace(/^([^,]*),[^,]*,/, '$1,');
    writeFileSync(test, [strip(lines[0]), ...lines.slice(1, 21).map(strip)].join('\n'));
    const out = join(dir, 'submission.csv');
    const r = cli(['predict', test, ...fast, '-o', out], { cwd: dir, env, timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('PassengerId,Survived');
    expect(rows).toHaveLength(21);
    for (const row of rows.slice(1)) expect(row).toMatch(/^\d+,[01]$/);
  }, 300_000);

  const bad: [string, string[], number, RegExp][] = [
    ['unknown preset', ['train', '--preset', 'fastest'], 2, /unknown preset 'fastest'/],
    ['bad --set value', ['train', '--preset', 'quick', '--set', 'training.epochs=-1'], 2, /training\.epochs/],
    ['unknown --set key', ['train', '--set', 'training.epoch=2'], 2, /did you mean 'epochs'/],
    ['missing config file', ['train', '-c', join(dir, 'none.yaml')], 2, /config file not found/],
    ['missing training CSV', ['train', '--set', `data.trainPath=${join(dir, 'none.csv')}`, '--no-track'], 1, /none\.csv/],
    ['label column absent', ['train', '--set', 'data.labelColumn=Nope', '--no-track'], 1, /Nope/],
    ['resume from a missing checkpoint', ['train', ...fast, '--resume', join(dir, 'nope.safetensors'), '--no-track'], 1, /nope\.safetensors/],
    ['resume from a folder', ['train', ...fast, '--resume', outputDir, '--no-track'], 2, /--resume '.*outputs' is a folder; give a checkpoint file/],
    ['resume from a file that is not a checkpoint', ['train', ...fast, '--resume', junk, '--no-track'], 1, /junk\.safetensors/],
    ['resume with another model size', ['train', ...fast, '--set', 'model.size=mini', '--resume', '--no-track'], 1, /checkpoint .*checkpoint-\d+\.safetensors does not fit the model this config builds/],
    ['output dir is a file', ['train', '--preset', 'quick', '--output-dir', junk, '--no-track'], 2, /outputDir '.*junk\.safetensors' is a file, not a folder/],
    ['eval without checkpoints', ['eval', '--preset', 'quick', '--output-dir', join(dir, 'empty')], 1, /checkpoint/i],
    ['predict without a CSV argument', ['predict'], 2, /missing required argument/],
    ['predict a missing CSV', ['predict', join(dir, 'none.csv'), ...fast], 1, /none\.csv/],
    ['train with an unknown flag', ['train', '--epochs', '3'], 2, /unknown option '--epochs'/],
    ['bench outside known names', ['bench', 'nonexistent'], 2, /unknown benchmark nonexistent/],
  ];
  for (const [name, args, code, pattern] of bad) {
    it(`${name} → exit ${code}, one clear line`, () => {
      const r = cli(args, { cwd: dir, env, timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }, 300_000);
  }
});
