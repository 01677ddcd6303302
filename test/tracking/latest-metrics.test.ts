// The latest-metric rule against the real MLflow: the same logging calls (out-of-order steps and
// timestamps, ties, NaN, ±Inf, negative steps, in-batch repeats, re-logged points) go through our store
// and through MlflowClient into two fresh files; both files must end with identical latest_metrics rows,
// and MLflow must read our file exactly as it reads its own.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/index.js';
import { runMlflowScript } from './mlflow-python.js';

type Point = [key: string, value: number, timestamp: number, step: number];
type Call = { metric: Point } | { batch: Point[] };

interface View {
  latestRows: [string, number, number, number, number][];
  metrics: Record<string, number>;
  historyLengths: Record<string, number>;
}

const T = 1_750_000_000_000;
const CALLS: Call[] = [
  // One point per call: lower step with a newer timestamp, older timestamp, larger/smaller value, NaN.
  { metric: ['order', 1, T + 100, 5] },
  { metric: ['order', 2, T + 900, 3] },
  { metric: ['order', 0.5, T + 50, 5] },
  { metric: ['order', 3, T + 100, 5] },
  { metric: ['order', -1, T + 100, 5] },
  { metric: ['order', Number.NaN, T + 100, 5] },
  // NaN becomes latest at a higher step; a 0 at the same step and timestamp ties with it (NaN is stored as 0).
  { metric: ['nan', 4, T, 6] },
  { metric: ['nan', Number.NaN, T, 7] },
  { metric: ['nan', -2, T, 7] },
  { metric: ['nan', 0, T, 7] },
  { metric: ['nan-then-value', Number.NaN, T, 1] },
  { metric: ['nan-then-value', 0.5, T, 1] },
  // ±Inf are stored as ±DBL_MAX and compared as such.
  { metric: ['inf', Number.POSITIVE_INFINITY, T, 1] },
  { metric: ['inf', 1e308, T, 1] },
  { metric: ['inf', Number.NEGATIVE_INFINITY, T, 2] },
  { metric: ['negative-step', 1, T, -1] },
  { metric: ['negative-step', 2, T + 5, -5] },
  // Batches: one key several times out of order with an exact repeat; NaN and 0 at one (step, timestamp).
  {
    batch: [
      ['b', 1, T + 10, 2],
      ['b', 5, T + 20, 1],
      ['b', 4, T + 10, 2],
      ['b', 4, T + 10, 2],
      ['c', Number.NaN, T, 1],
      ['c', 0, T, 1],
    ],
  },
  // Points already stored next to new ones (MLflow's integrity-error path), then an older point alone.
  {
    batch: [
      ['b', 4, T + 10, 2],
      ['b', 6, T + 10, 3],
      ['order', 3, T + 100, 5],
      ['order', 2, T + 101, 5],
    ],
  },
  { batch: [['b', 100, T, 0]] },
  // A batch longer than one multi-row statement: 40 points of one key in scrambled (step, timestamp, value) order.
  { batch: Array.from({ length: 40 }, (_, i): Point => ['long', i % 9 === 4 ? Number.NaN : (i * 5) % 4, T + ((i * 5) % 11), (i * 7) % 13]) },
];

/** JSON has no NaN/Infinity: they travel as the strings Python's float() reads. */
const jsonValue = (v: number): number | string => (Number.isFinite(v) ? v : String(v));

let dir: string;
let ours: { mlflow: View; ours: View };
let store: TrackingStore;
let runId: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlxt-latest-'));
  const db = join(dir, 'ours.db');
  store = new TrackingStore(`sqlite:///${db}`);
  runId = (await store.createRun('0')).info.runId;
  for (const call of CALLS) {
    if ('metric' in call) {
      const [key, value, timestamp, step] = call.metric;
      await store.logMetric(runId, key, value, { timestamp, step });
    } else {
      await store.logBatch(runId, { metrics: call.batch.map(([key, value, timestamp, step]) => ({ key, value, timestamp, step })) });
    }
  }
  const theirs = mkdtempSync(join(dir, 'mlflow-'));
  const calls = CALLS.map((c) =>
    'metric' in c ? { metric: [c.metric[0], jsonValue(c.metric[1]), c.metric[2], c.metric[3]] } : { batch: c.batch.map((p) => [p[0], jsonValue(p[1]), p[2], p[3]]) },
  );
  writeFileSync(join(dir, 'request.json'), JSON.stringify({ dir: theirs, ours: { db, runId }, calls }));
  ours = await runMlflowScript('replay_metrics.py', [join(dir, 'request.json')]);
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('latest metric values match MLflow for the same calls', () => {
  it('stores the same latest_metrics rows (value, timestamp, step, is_nan) for every key', () => {
    expect(ours.ours.latestRows).toEqual(ours.mlflow.latestRows);
    expect(ours.mlflow.latestRows.map((r) => r[0])).toEqual(['b', 'c', 'inf', 'long', 'nan', 'nan-then-value', 'negative-step', 'order']);
  });

  it('reports the same latest values through get_run, and the same number of history points', async () => {
    expect(ours.ours.metrics).toEqual(ours.mlflow.metrics);
    expect(ours.ours.historyLengths).toEqual(ours.mlflow.historyLengths);
    expect((await store.getRun(runId)).data.metrics).toEqual(ours.mlflow.metrics);
  });

  it('covers the edges it claims: a NaN latest survives a tie, ±Inf compare as ±DBL_MAX', () => {
    expect(ours.mlflow.metrics.nan).toBeNaN();
    expect(ours.mlflow.metrics.c).toBeNaN();
    expect(ours.mlflow.metrics['nan-then-value']).not.toBeNaN();
    expect(ours.mlflow.metrics.inf).toBe(-1.7976931348623157e308);
  });
});
