// k-fold cross-validation for regression, multilabel and ordinal from the CLI: fold means/std and pooled
// out-of-fold metrics in the parent run, the out-of-fold predictions in the task's form, and those pooled
// metrics equal to scikit-learn's on that very file (src/trainer/kfold.ts, src/trainer/tasks/fold-score.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/tracking/index.js';
import { testPython } from '../helpers/mlflow-server.js';
import { multilabelCsv, ordinalCsv, regressionCsv } from '../trainer/tasks/task-csvs.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-tasks-kfold-'));
const db = join(dir, 'mlruns', 'mlflow.db');
const env = { MLFLOW_TRACKING_URI: `sqlite:///${db}` };
const quick = ['--preset', 'quick', '--set', 'model.maxLength=16', '--set', 'data.vocabSize=100', '--set', 'training.learningRate=1e-3', '--set', 'data.idColumn=id', '--set', 'data.kFolds=2'];
const long = { cwd: dir, env, timeoutMs: 600_000 };

function config(name: string, body: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `${body}training:\n  epochs: 2\noutputDir: ${join(dir, name)}\n`);
  return path;
}

/** scikit-learn's metrics of an out-of-fold file (its prediction and true_* columns). */
const SKLEARN = `
import csv, json, sys
import numpy as np
from sklearn import metrics as M
task, path, label = sys.argv[1], sys.argv[2], sys.argv[3]
rows = list(csv.DictReader(open(path)))
pred = [r[label] for r in rows]
true = [r['true_' + label] for r in rows]
if task == 'regression':
    p, t = np.array(pred, float), np.array(true, float)
    out = dict(rmse=M.mean_squared_error(t, p) ** 0.5, mae=M.mean_absolute_error(t, p), r2=M.r2_score(t, p))
elif task == 'multilabel':
    names = sorted({n for v in true + pred for n in v.split('|') if n})
    b = lambda v: [1 if n in v.split('|') else 0 for n in names]
    P, T = np.array([b(v) for v in pred]), np.array([b(v) for v in true])
    out = dict(f1_micro=M.f1_score(T, P, average='micro', zero_division=0), f1_macro=M.f1_score(T, P, average='macro', zero_division=0),
               subset_accuracy=M.accuracy_score(T, P), hamming_loss=M.hamming_loss(T, P))
else:
    p, t = np.array(pred, int), np.array(true, int)
    out = dict(accuracy=M.accuracy_score(t, p), mae=M.mean_absolute_error(t, p), qwk=M.cohen_kappa_score(t, p, weights='quadratic', labels=sorted(set(t) | set(p))))
print(json.dumps(out))
`;

function sklearn(task: string, path: string, label: string): Record<string, number> {
  const r = spawnSync(testPython(), ['-c', SKLEARN, task, path, label], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

async function parentRun(runId: string) {
  const store = new TrackingStore(`sqlite:///${db}`);
  try {
    return { ...(await store.getRun(runId)), artifacts: (await store.listArtifacts(runId)).map((f) => f.path) };
  } finally {
    await store.close();
  }
}

/** Trains `c` with 2 folds; checks the parent run and the out-of-fold file against scikit-learn. */
async function kfoldMatchesSklearn(c: string, task: string, label: string, names: string[]): Promise<{ header: string[]; metrics: Record<string, number> }> {
  const r = cli(['train', '-c', c, ...quick, '--json', '-e', `kfold_${task}`], long);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.crossValidation.k).toBe(2);
  const run = await parentRun(out.runId);
  const m = run.data.metrics;
  for (const n of names) {
    expect(m[`val_${n}`], `val_${n}`).toBeTypeOf('number'); // the fold mean
    expect(m[`val_${n}_std`], `val_${n}_std`).toBeGreaterThanOrEqual(0);
    expect(m[`oof_${n}`], `oof_${n}`).toBeTypeOf('number');
  }
  const oof = join(dir, c.replace(/\.yaml$/, '').split('/').pop()!, 'oof_predictions.csv');
  expect(existsSync(oof)).toBe(true);
  expect(run.artifacts).toContain('oof_predictions.csv');
  const lines = readFileSync(oof, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(161); // every training row once
  const ref = sklearn(task, oof, label);
  for (const n of names) expect(Math.abs(m[`oof_${n}`] - ref[n]), n).toBeLessThan(1e-4);
  return { header: lines[0].split(','), metrics: m };
}

describe('k-fold for every task from the CLI', () => {
  it('regression: rmse/mae/r2 fold means and out-of-fold, equal to sklearn on oof_predictions.csv (values in target units)', async () => {
    const c = config('kf-regression', `data:\n  trainPath: ${regressionCsv(dir)}\n  labelColumn: price\n`);
    const { header, metrics } = await kfoldMatchesSklearn(c, 'regression', 'price', ['rmse', 'mae', 'r2']);
    expect(header).toEqual(['id', 'price', 'true_price']);
    expect(metrics.oof_rmse).toBeLessThan(20); // target units (std ≈ 14), not standardised ones
  }, 600_000);

  it('multilabel: micro/macro F1, subset accuracy, hamming loss; labels joined + per-label probabilities', async () => {
    const c = config('kf-multilabel', `data:\n  trainPath: ${multilabelCsv(dir).delimited}\n  labelColumn: tags\n  labelDelimiter: "|"\n`);
    const { header } = await kfoldMatchesSklearn(c, 'multilabel', 'tags', ['f1_micro', 'f1_macro', 'subset_accuracy', 'hamming_loss']);
    expect(header).toEqual(['id', 'tags', 'blue_probability', 'green_probability', 'red_probability', 'true_tags']);
  }, 600_000);

  it('ordinal: qwk, accuracy, mae; the class + class probabilities', async () => {
    const c = config('kf-ordinal', `model:\n  task: ordinal\ndata:\n  trainPath: ${ordinalCsv(dir)}\n  labelColumn: grade\n`);
    const { header } = await kfoldMatchesSklearn(c, 'ordinal', 'grade', ['qwk', 'accuracy', 'mae']);
    expect(header).toEqual(['id', 'grade', '1_probability', '2_probability', '3_probability', '4_probability', 'true_grade']);
    // predict with the k-fold ensemble writes the task's form too (mean of the folds' cumulative probabilities)
    const pred = join(dir, 'kf-ordinal-pred.csv');
    const p = cli(['predict', ordinalCsv(join(dir, 'test')), '-c', c, ...quick, '-o', pred], long);
    expect(p.code, p.stderr).toBe(0);
    const rows = readFileSync(pred, 'utf8').trim().split('\n').slice(1);
    for (const row of rows) expect(['1', '2', '3', '4']).toContain(row.split(',')[1]);
  }, 600_000);
});
