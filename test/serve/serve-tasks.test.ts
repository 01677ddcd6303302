/**
 * `mlx-train serve` for regression, multilabel and ordinal models: each trained by the CLI, served by the
 * CLI on loopback (port 0), queried over HTTP, and compared with `mlx-train predict` on the same rows;
 * the regression model also through MLflow's own scoring client (src/serve/predictor.ts,
 * src/trainer/tasks/predict.ts's taskRecords).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';
import { multilabelCsv, ordinalCsv, regressionCsv } from '../trainer/tasks/task-csvs.js';
import { runPython, startServeCli } from './serve-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-serve-tasks-'));
const quick = ['--preset', 'quick', '--set', 'model.maxLength=16', '--set', 'data.vocabSize=100', '--set', 'training.learningRate=1e-3', '--set', 'data.idColumn=id'];
const long = { cwd: dir, timeoutMs: 600_000 };
const ROWS = 12;
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
});

/** Trains a config, writes `mlx-train predict`'s CSV for the first rows, and serves the model. */
async function trainPredictServe(name: string, body: string, csv: string): Promise<{ url: string; predicted: string[][]; rows: Record<string, string>[]; stderr: () => string }> {
  const c = join(dir, `${name}.yaml`);
  writeFileSync(c, `${body}training:\n  epochs: 2\noutputDir: ${join(dir, name)}\n`);
  const t = cli(['train', '-c', c, ...quick, '--no-track'], long);
  expect(t.code, t.stderr).toBe(0);
  const lines = readFileSync(csv, 'utf8').trim().split('\n').slice(0, ROWS + 1);
  const test = join(dir, `${name}-test.csv`);
  writeFileSync(test, `${lines.join('\n')}\n`);
  const out = join(dir, `${name}-pred.csv`);
  const p = cli(['predict', test, '-c', c, ...quick, '-o', out], long);
  expect(p.code, p.stderr).toBe(0);
  const predicted = readFileSync(out, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const header = lines[0].split(',');
  const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, j) => [header[j], v])));
  const served = await startServeCli(['-c', c, ...quick, '--port', '0'], { cwd: dir });
  children.push(served.child);
  return { url: served.url, predicted, rows, stderr: served.stderr };
}

async function invoke(url: string, body: unknown): Promise<unknown[]> {
  const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(r.status).toBe(200);
  return ((await r.json()) as { predictions: unknown[] }).predictions;
}

describe('mlx-train serve for every task', () => {
  it("regression: bare values in target units, equal to predict's; MLflow's client gets the same numbers", async () => {
    const s = await trainPredictServe('reg', `data:\n  trainPath: ${regressionCsv(dir)}\n  labelColumn: price\n`, join(dir, 'regression.csv'));
    expect(s.stderr()).toContain('task regression');
    const got = (await invoke(s.url, { dataframe_records: s.rows })) as number[];
    expect(got).toHaveLength(ROWS);
    got.forEach((v, i) => {
      expect(typeof v).toBe('number');
      expect(Math.abs(v - Number(s.predicted[i][1]))).toBeLessThan(1e-3 * Math.max(1, Math.abs(v)));
    });
    expect(Math.min(...got)).toBeGreaterThan(5); // target units (prices 18..62), not standardised ones
    const script = `
import json, sys, pandas as pd
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
host, port = sys.argv[1].rsplit(":", 1)
client = ScoringServerClient(host.replace("http://", ""), int(port))
client.wait_server_ready(timeout=30)
df = pd.read_csv(sys.argv[2]).drop(columns=["price"])
resp = client.invoke(df)
print(json.dumps({"predictions": resp["predictions"], "frame": resp.get_predictions().iloc[:, 0].tolist()}))
`;
    const r = await runPython(script, [s.url, join(dir, 'reg-test.csv')]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.predictions).toEqual(got);
    expect(out.frame).toEqual(got);
  }, 600_000);

  it('multilabel: the labels on and each label\'s probability, as predict writes them', async () => {
    const s = await trainPredictServe('ml', `data:\n  trainPath: ${multilabelCsv(dir).delimited}\n  labelColumn: tags\n  labelDelimiter: "|"\n`, join(dir, 'multilabel.csv'));
    const got = (await invoke(s.url, { inputs: s.rows.map((r) => r.text) })) as { labels: string[]; probabilities: Record<string, number> }[];
    expect(got).toHaveLength(ROWS);
    got.forEach((p, i) => {
      expect(p.labels.join('|')).toBe(s.predicted[i][1]);
      expect(Object.keys(p.probabilities)).toEqual(['blue', 'green', 'red']);
      ['blue', 'green', 'red'].forEach((n, j) => expect(Math.abs(p.probabilities[n] - Number(s.predicted[i][2 + j]))).toBeLessThan(1e-5));
      expect(p.labels).toEqual(['blue', 'green', 'red'].filter((n) => p.probabilities[n] >= 0.5));
    });
  }, 600_000);

  it('ordinal: the class and the class probabilities, as predict writes them', async () => {
    const s = await trainPredictServe('ord', `model:\n  task: ordinal\ndata:\n  trainPath: ${ordinalCsv(dir)}\n  labelColumn: grade\n`, join(dir, 'ordinal.csv'));
    const got = (await invoke(s.url, { dataframe_split: { columns: ['review'], data: s.rows.map((r) => [r.review]) } })) as { label: string; probabilities: Record<string, number> }[];
    expect(got).toHaveLength(ROWS);
    got.forEach((p, i) => {
      expect(p.label).toBe(s.predicted[i][1]);
      expect(Object.keys(p.probabilities)).toEqual(['1', '2', '3', '4']);
      const total = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(1, 5);
      ['1', '2', '3', '4'].forEach((n, j) => expect(Math.abs(p.probabilities[n] - Number(s.predicted[i][2 + j]))).toBeLessThan(1e-5));
    });
  }, 600_000);
});
