// Many writers on one SQLite store file at once, as when several training processes and a Python MLflow
// script log to the same mlruns: 8 Node processes (our SqliteStore, batches as the trainer flushes them)
// plus one MLflow Python writer. Every row must land, no writer may see an error, and the file must pass
// SQLite's integrity check. Then a writer is killed with SIGKILL mid-stream: every batch it reported as
// committed must be there, and no batch may be half-written.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/tracking/index.js';
import { testPython } from '../helpers/mlflow-server.js';

const NODE_WRITERS = 8;
const METRICS_PER_WRITER = 10_000;
const BATCH = 100;

let writer: string;
let work: string;

/**
 * Child processes load the TypeScript sources through the project's loader (scripts/register-ts.mjs);
 * the writer itself is a small module written into the test's temp folder.
 */
function writeWriterScript(dir: string): string {
  const storeUrl = pathToFileURL(resolve('src/tracking/index.ts')).href;
  // One writer: logs `count` points of one metric in batches, printing each committed batch.
  const path = join(dir, 'writer.mjs');
  writeFileSync(
    path,
    `import { SqliteStore } from '${storeUrl}';
const [dbPath, runId, key, count, batch] = process.argv.slice(2);
const store = new SqliteStore('sqlite:///' + dbPath);
// Start together with the other writers: announce readiness, wait for the parent's go line.
process.stdout.write('ready\\n');
await new Promise((r) => process.stdin.once('data', r));
process.stdin.pause();
const t0 = Date.now() / 1000;
const ts = Date.now();
for (let start = 0; start < Number(count); start += Number(batch)) {
  const metrics = [];
  for (let s = start; s < Math.min(start + Number(batch), Number(count)); s++) metrics.push({ key, value: s * 0.5, step: s, timestamp: ts });
  await store.logBatch(runId, { metrics });
  process.stdout.write('committed ' + (start + metrics.length) + '\\n');
}
await store.close();
process.stdout.write(JSON.stringify({ start: t0, end: Date.now() / 1000 }) + '\\n');
`,
  );
  return path;
}

/** Node with the TS loader, running the writer script. */
const nodeWriter = (args: string[]): [string, string[]] => [process.execPath, ['--import', resolve('scripts/register-ts.mjs'), writer, ...args]];

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Writer {
  /** Resolves once the writer has opened the store and waits for go(). */
  ready: Promise<void>;
  go(): void;
  finished: Promise<Finished>;
}

function startWriter(cmd: string, args: string[], onLine?: (line: string, kill: () => void) => void): Writer {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  let markReady: () => void = () => {};
  const ready = new Promise<void>((r) => (markReady = r));
  const finished = new Promise<Finished>((done) => {
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (c: Buffer) => {
      const text = c.toString();
      stdout += text;
      const lines = (partial + text).split('\n');
      partial = lines.pop() as string;
      for (const line of lines.filter(Boolean)) {
        if (line === 'ready') markReady();
        else onLine?.(line, () => child.kill('SIGKILL'));
      }
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code, signal) => {
      markReady(); // a writer that died early must not hang the barrier
      done({ code, signal, stdout, stderr });
    });
  });
  return { ready, go: () => child.stdin.end('go\n'), finished };
}

/** Starts writers, waits until each has its store open, then releases them at the same moment. */
async function runTogether(writers: Writer[]): Promise<Finished[]> {
  await Promise.all(writers.map((w) => w.ready));
  for (const w of writers) w.go();
  return Promise.all(writers.map((w) => w.finished));
}

/** The writer's closing JSON line: when it started and stopped writing (epoch seconds). */
function span(r: Finished): { start: number; end: number } {
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

function countsByKey(dbPath: string, runId: string): Record<string, { n: number; steps: number; maxStep: number }> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const rows = db
      .prepare('SELECT key, COUNT(*) AS n, COUNT(DISTINCT step) AS steps, MAX(step) AS maxStep FROM metrics WHERE run_uuid = ? GROUP BY key')
      .all(runId) as { key: string; n: number; steps: number; maxStep: number }[];
    return Object.fromEntries(rows.map((r) => [r.key, { n: r.n, steps: r.steps, maxStep: r.maxStep }]));
  } finally {
    db.close();
  }
}

function integrity(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mlxt-concurrency-'));
  writer = writeWriterScript(work);
});
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('SqliteStore under concurrent writers', () => {
  it(`keeps every row from ${NODE_WRITERS} Node writers × ${METRICS_PER_WRITER} metrics plus an MLflow Python writer`, async () => {
    const dbPath = join(work, 'shared', 'mlflow.db');
    mkdirSync(join(work, 'shared'));
    const store = new SqliteStore(`sqlite:///${dbPath}`);
    const expId = await store.createExperiment('concurrency');
    const runId = (await store.createRun(expId, { runName: 'shared' })).info.runId;
    await store.close();

    const writers = Array.from({ length: NODE_WRITERS }, (_, w) =>
      startWriter(...nodeWriter([dbPath, runId, `node_${w}`, String(METRICS_PER_WRITER), String(BATCH)])),
    );
    const python = startWriter(testPython(), ['test/tracking/py/d2_concurrent_writer.py', dbPath, runId, 'python', String(METRICS_PER_WRITER), String(BATCH)]);
    const results = await runTogether([...writers, python]);

    for (const r of results) {
      expect(r.stderr).not.toMatch(/error|locked|Traceback/i);
      expect(r.code).toBe(0);
    }
    // The Python writer really wrote while Node writers did.
    const py = span(results[NODE_WRITERS]);
    const overlapping = results.slice(0, NODE_WRITERS).map(span).filter((s) => s.start < py.end && py.start < s.end);
    expect(overlapping.length).toBeGreaterThan(0);
    const counts = countsByKey(dbPath, runId);
    const expected = { n: METRICS_PER_WRITER, steps: METRICS_PER_WRITER, maxStep: METRICS_PER_WRITER - 1 };
    for (let w = 0; w < NODE_WRITERS; w++) expect(counts[`node_${w}`]).toEqual(expected);
    expect(counts.python).toEqual(expected);
    expect(integrity(dbPath)).toBe('ok');

    const reopened = new SqliteStore(`sqlite:///${dbPath}`);
    const run0 = await reopened.getRun(runId);
    expect(run0.data.metrics.node_0).toBe((METRICS_PER_WRITER - 1) * 0.5);
    expect(run0.data.metrics.python).toBe((METRICS_PER_WRITER - 1) * 0.5);
    await reopened.close();
  }, 240_000);

  it('keeps every committed batch and no partial batch when a writer is killed with SIGKILL', async () => {
    const dbPath = join(work, 'killed', 'mlflow.db');
    mkdirSync(join(work, 'killed'));
    const store = new SqliteStore(`sqlite:///${dbPath}`);
    const runId = (await store.createRun('0')).info.runId;
    await store.close();

    let reported = 0;
    const killAfter = 3_000;
    // A second writer keeps going while the first dies, so the kill lands amid real contention.
    const survivor = startWriter(...nodeWriter([dbPath, runId, 'survivor', '5000', String(BATCH)]));
    const victimWriter = startWriter(...nodeWriter([dbPath, runId, 'victim', '1000000', String(BATCH)]), (line, kill) => {
      if (!line.startsWith('committed ')) return;
      const n = Number(line.split(' ')[1]);
      if (n > reported) reported = n;
      if (reported >= killAfter) kill();
    });
    const [victim, other] = await runTogether([victimWriter, survivor]);
    expect(victim.signal).toBe('SIGKILL');
    expect(other.code).toBe(0);

    const counts = countsByKey(dbPath, runId);
    // Everything reported committed is there; at most the batch in flight at the kill more; never a partial batch.
    expect(counts.victim.n).toBeGreaterThanOrEqual(reported);
    expect(counts.victim.n % BATCH).toBe(0);
    expect(counts.victim.steps).toBe(counts.victim.n);
    expect(counts.victim.maxStep).toBe(counts.victim.n - 1);
    expect(counts.survivor).toEqual({ n: 5000, steps: 5000, maxStep: 4999 });
    expect(integrity(dbPath)).toBe('ok');

    // The store opens again and keeps logging after the crash (WAL recovery).
    const reopened = new SqliteStore(`sqlite:///${dbPath}`);
    await reopened.logBatch(runId, { metrics: [{ key: 'after_crash', value: 1, step: 0 }] });
    expect((await reopened.getRun(runId)).data.metrics.after_crash).toBe(1);
    await reopened.close();
    expect(integrity(dbPath)).toBe('ok');
  }, 180_000);
});
