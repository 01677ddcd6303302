// `mlflow server` (the pinned release) serves a store file written by mlx-train: the UI page loads and the
// REST API answers searches with what our store holds, also while our store keeps writing to the file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/index.js';
import { freePort } from '../helpers/mlflow-server.js';
import { mlflowEnv, testPython } from './mlflow-python.js';

let dir: string;
let store: TrackingStore;
let server: ChildProcess | undefined;
let url = '';
let log = '';
let experimentId = '';
const runIds: string[] = [];

async function waitForHealth(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server?.exitCode !== null) throw new Error(`mlflow server exited early:\n${log}`);
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`mlflow server did not become healthy within ${timeoutMs} ms:\n${log}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlxt-server-'));
  store = new TrackingStore(`sqlite:///${join(dir, 'mlflow.db')}`);
  experimentId = await store.createExperiment('served', { tags: { team: 'nlp' } });
  for (const [i, acc] of [0.3, 0.8, 0.6].entries()) {
    const run = await store.createRun(experimentId, { runName: `served-${i}`, startTime: 1_750_000_000_000 + i });
    runIds.push(run.info.runId);
    await store.logBatch(run.info.runId, {
      params: [{ key: 'lr', value: 0.001 * (i + 1) }],
      metrics: [0, 1, 2].map((step) => ({ key: 'acc', value: step === 1 && i === 0 ? Number.NaN : acc * (step + 1) / 3, step, timestamp: 1_750_000_001_000 + step })),
    });
  }
  await store.createRegisteredModel('served-model');
  await store.createModelVersion('served-model', `runs:/${runIds[1]}/model`, { runId: runIds[1] });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  server = spawn(
    testPython(),
    ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1', '--backend-store-uri', `sqlite:///${join(dir, 'mlflow.db')}`],
    { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: mlflowEnv() },
  );
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  };
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  await waitForHealth(180_000);
}, 240_000);

afterAll(async () => {
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        if (server?.pid) process.kill(-server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  }
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${path}: ${text}\n${log}`).toBe(200);
  return JSON.parse(text) as T;
}

describe('mlflow server on a store mlx-train wrote', () => {
  it('serves the UI index page', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<html/i);
    expect(html).toMatch(/mlflow/i);
  });

  it('answers experiment lookups and run searches like our store does', async () => {
    const got = await api<{ experiment: { experiment_id: string; name: string } }>(`experiments/get-by-name?experiment_name=served`);
    expect(got.experiment.experiment_id).toBe(experimentId);
    const body = { experiment_ids: [experimentId], filter: 'metrics.acc > 0.2', order_by: ['metrics.acc DESC'], max_results: 10 };
    const res = await api<{ runs: { info: { run_id: string } }[] }>('runs/search', body);
    const ours = await store.searchRuns([experimentId], { filterString: body.filter, orderBy: body.order_by });
    expect(res.runs.map((r) => r.info.run_id)).toEqual(ours.runs.map((r) => r.info.runId));
    expect(res.runs).toHaveLength(3);
  });

  it('returns full metric histories (NaN included) and registry entries', async () => {
    const hist = await api<{ metrics: { value: number | string; step: number | string }[] }>(`metrics/get-history?run_id=${runIds[0]}&metric_key=acc`);
    const ours = await store.getMetricHistory(runIds[0], 'acc');
    expect(hist.metrics.map((m) => Number(m.step))).toEqual(ours.map((m) => m.step));
    expect(hist.metrics.map((m) => (m.value === 'NaN' ? Number.NaN : Number(m.value)))).toEqual(ours.map((m) => m.value));
    const model = await api<{ registered_model: { name: string; latest_versions: { run_id: string }[] } }>('registered-models/get?name=served-model');
    expect(model.registered_model.latest_versions[0].run_id).toBe(runIds[1]);
  });

  it('sees what our store writes while the server has the file open', async () => {
    await store.logMetric(runIds[0], 'late', 42, { step: 7 });
    await store.setTerminated(runIds[0], 'FINISHED');
    const res = await api<{ run: { info: { status: string }; data: { metrics: { key: string; value: number }[] } } }>(`runs/get?run_id=${runIds[0]}`);
    expect(res.run.info.status).toBe('FINISHED');
    expect(res.run.data.metrics.find((m) => m.key === 'late')?.value).toBe(42);
  });
});
