// Each task trains end to end from the CLI on a small CSV by config alone, then eval and predict write
// the task's metrics and predictions (src/trainer/tasks/, src/data/targets.ts).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrainerState, latestCheckpoint } from '../../src/trainer/run-checkpoint.js';
import { TrackingStore } from '../../src/tracking/index.js';
import { multilabelCsv, ordinalCsv, regressionCsv } from '../trainer/tasks/task-csvs.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-tasks-'));
const db = join(dir, 'mlruns', 'mlflow.db');
const env = { MLFLOW_TRACKING_URI: `sqlite:///${db}` };
const quick = ['--preset', 'quick', '--set', 'model.maxLength=16', '--set', 'data.vocabSize=100', '--set', 'training.learningRate=1e-3', '--set', 'data.idColumn=id'];
const long = { cwd: dir, env, timeoutMs: 600_000 };

function config(name: string, body: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, body);
  return path;
}

const csvRows = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => l.split(','));

describe('regression from the CLI', () => {
  const csv = regressionCsv(dir);
  const c = config('regression', `data:\n  trainPath: ${csv}\n  labelColumn: price\ntraining:\n  epochs: 6\noutputDir: ${join(dir, 'regression')}\n`);
  let runId = '';

  it('config prints the inferred task and why', () => {
    const r = cli(['config', '-c', c, ...quick], long);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/task: auto # → regression \(inferred: label column 'price' holds numbers with fractions/);
  });

  it('trains: rmse, mae, r2 in target units, logged to the store; the checkpoint keeps the scaling', async () => {
    const r = cli(['train', '-c', c, ...quick, '--json', '-e', 'tasks'], long);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/task: regression \(inferred: .*\); target standardised with mean 4\d\.\d+, std 1\d\.\d+/);
    const out = JSON.parse(r.stdout);
    expect(out.metrics.r2).toBeGreaterThan(0.5);
    expect(out.metrics.rmse).toBeLessThan(10);
    expect(out.metrics.accuracy).toBeNull(); // NaN in JSON: regression has no accuracy
    runId = out.runId;
    const store = new TrackingStore(`sqlite:///${db}`);
    try {
      const run = await store.getRun(runId);
      for (const k of ['val_rmse', 'val_mae', 'val_r2', 'val_mse', 'val_loss']) expect(run.data.metrics[k], k).toBeTypeOf('number');
      expect(run.data.metrics.val_accuracy).toBeUndefined();
    } finally {
      await store.close();
    }
    const state = readTrainerState(latestCheckpoint(join(dir, 'regression', 'checkpoints'))!);
    expect(state.targetScaling?.mean).toBeGreaterThan(30);
    expect(state.targetScaling?.std).toBeGreaterThan(5);
  }, 600_000);

  it('predict writes the value in target units; eval reports the regression metrics', () => {
    const out = join(dir, 'regression-pred.csv');
    const r = cli(['predict', csv, '-c', c, ...quick, '-o', out], long);
    expect(r.code, r.stderr).toBe(0);
    const rows = csvRows(out);
    expect(rows[0]).toEqual(['id', 'price']);
    const truth = csvRows(csv).slice(1);
    const err = rows.slice(1).map((row, i) => Math.abs(Number(row[1]) - Number(truth[i][4])));
    expect(err.reduce((a, b) => a + b, 0) / err.length).toBeLessThan(8); // target units, not standardised ones
    const e = cli(['eval', '-c', c, ...quick, '--json'], long);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).metrics.r2).toBeGreaterThan(0.5);
  }, 600_000);

  it('training.loss huber trains with a different objective (the setting is used)', () => {
    const r = cli(['train', '-c', c, ...quick, '--set', 'training.loss=huber', '--set', 'training.epochs=1', '--set', `outputDir=${join(dir, 'huber')}`, '--json', '--no-track'], long);
    expect(r.code, r.stderr).toBe(0);
    const mse = cli(['train', '-c', c, ...quick, '--set', 'training.epochs=1', '--set', `outputDir=${join(dir, 'mse1')}`, '--json', '--no-track'], long);
    expect(JSON.parse(r.stdout).metrics.loss).not.toBeCloseTo(JSON.parse(mse.stdout).metrics.loss, 4);
  }, 600_000);

  it('a loss of another task is a config error (exit 2)', () => {
    const r = cli(['train', '-c', c, ...quick, '--set', 'training.loss=bce', '--no-track'], long);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/training.loss 'bce' does not fit model.task regression/);
  }, 600_000);
});

describe('multilabel from the CLI', () => {
  const { delimited, columns } = multilabelCsv(dir);

  it('a delimited label column: micro/macro F1 and subset accuracy; predictions joined by the delimiter + probabilities', () => {
    const c = config('ml', `data:\n  trainPath: ${delimited}\n  labelColumn: tags\n  labelDelimiter: "|"\ntraining:\n  epochs: 8\n  earlyStopping:\n    monitor: val_f1_micro\n    mode: max\noutputDir: ${join(dir, 'ml')}\n`);
    const r = cli(['train', '-c', c, ...quick, '--json', '--no-track'], long);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/task: multilabel \(inferred: data.labelDelimiter is '\|'\)/);
    const m = JSON.parse(r.stdout).metrics;
    expect(m.f1Micro).toBeGreaterThan(0.8);
    for (const k of ['f1Macro', 'subsetAccuracy', 'hammingLoss']) expect(m[k], k).toBeTypeOf('number');
    const out = join(dir, 'ml-pred.csv');
    const p = cli(['predict', delimited, '-c', c, ...quick, '-o', out], long);
    expect(p.code, p.stderr).toBe(0);
    const rows = csvRows(out);
    expect(rows[0]).toEqual(['id', 'tags', 'blue_probability', 'green_probability', 'red_probability']);
    const truth = csvRows(delimited).slice(1);
    const right = rows.slice(1).filter((row, i) => row[1].split('|').sort().join('|') === truth[i][2].split('|').sort().join('|')).length;
    expect(right / truth.length).toBeGreaterThan(0.6);
  }, 600_000);

  it('0/1 label columns: predictions as 0/1 columns + probabilities', () => {
    const c = config('mlc', `data:\n  trainPath: ${columns}\n  labelColumns: [red, green, blue]\ntraining:\n  epochs: 2\noutputDir: ${join(dir, 'mlc')}\n`);
    const r = cli(['train', '-c', c, ...quick, '--json', '--no-track'], long);
    expect(r.code, r.stderr).toBe(0);
    const out = join(dir, 'mlc-pred.csv');
    expect(cli(['predict', columns, '-c', c, ...quick, '-o', out], long).code).toBe(0);
    const rows = csvRows(out);
    expect(rows[0]).toEqual(['id', 'red', 'green', 'blue', 'red_probability', 'green_probability', 'blue_probability']);
    for (const row of rows.slice(1)) expect(row.slice(1, 4).every((v) => v === '0' || v === '1')).toBe(true);
  }, 600_000);
});

describe('ordinal from the CLI', () => {
  const csv = ordinalCsv(dir);

  it('a 1..4 integer column is classification unless told, and config says so with a warning', () => {
    const c = config('ord-auto', `data:\n  trainPath: ${csv}\n  labelColumn: grade\n`);
    const r = cli(['config', '-c', c, ...quick], long);
    expect(r.stdout).toMatch(/→ classification \(inferred: label column 'grade' holds 4 distinct integers \(1\.\.4\), treated as 4 unordered classes\)\. WARNING: .*set model.task: ordinal/);
  });

  it('model.task ordinal: qwk, accuracy, mae; early stopping on val_qwk; predictions are the class + class probabilities', () => {
    const c = config('ord', `model:\n  task: ordinal\ndata:\n  trainPath: ${csv}\n  labelColumn: grade\ntraining:\n  epochs: 8\n  earlyStopping:\n    enabled: true\n    monitor: val_qwk\n    mode: max\n    patience: 3\noutputDir: ${join(dir, 'ord')}\n`);
    const r = cli(['train', '-c', c, ...quick, '--json', '--no-track'], long);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout).metrics;
    expect(m.qwk).toBeGreaterThan(0.8);
    expect(m.mae).toBeTypeOf('number');
    expect(m.confusionMatrix).toHaveLength(4);
    const out = join(dir, 'ord-pred.csv');
    expect(cli(['predict', csv, '-c', c, ...quick, '-o', out], long).code).toBe(0);
    const rows = csvRows(out);
    expect(rows[0]).toEqual(['id', 'grade', '1_probability', '2_probability', '3_probability', '4_probability']);
    for (const row of rows.slice(1)) expect(['1', '2', '3', '4']).toContain(row[1]);
  }, 600_000);

  it('a monitor the task does not report is a config error naming the task\'s metrics', () => {
    const r = cli(['train', '--preset', 'quick', '--set', `data.trainPath=${csv}`, '--set', 'data.labelColumn=grade', '--set', 'model.task=ordinal', '--set', 'training.earlyStopping.monitor=val_rmse', '--no-track'], long);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/'val_rmse' is not reported for model.task ordinal; available: val_loss, val_accuracy, .*val_qwk/);
  }, 600_000);
});
