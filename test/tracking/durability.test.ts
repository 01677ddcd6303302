// A training process that dies without closing its store (SIGKILL right after a flush) leaves a hot WAL
// behind. Every flushed point must still be readable — by MLflow's own Python client and by us — and the
// file must stay a valid store that accepts more writes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/tracking/index.js';
import { PythonLineWorker } from '../helpers/mlflow-server.js';

const STEPS = 300;
const WIDTH = 5;

let work: string;
let python: PythonLineWorker;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mlxt-durability-'));
  python = new PythonLineWorker('test/tracking/py/d2_dump_run.py');
});
afterAll(async () => {
  await python?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

type Dump = { params: Record<string, string>; tags: Record<string, string>; history: Record<string, [number, number, number | string][]> };

describe('SqliteStore durability', () => {
  it('keeps every flushed step when the writer is SIGKILLed without closing the store', async () => {
    const dbPath = join(work, 'mlflow.db');
    const store = new SqliteStore(`sqlite:///${dbPath}`);
    const runId = (await store.createRun('0', { runName: 'crashy' })).info.runId;
    await store.close();

    // The "trainer": logs params once, then one batch per step, then dies hard right after the last flush.
    const script = join(work, 'crash-writer.mjs');
    writeFileSync(
      script,
      `import { SqliteStore } from '${pathToFileURL(resolve('src/tracking/index.ts')).href}';
const store = new SqliteStore(${JSON.stringify(`sqlite:///${dbPath}`)});
await store.logBatch(${JSON.stringify(runId)}, { params: [{ key: 'lr', value: 0.001 }], tags: [{ key: 'phase', value: 'train' }] });
for (let step = 0; step < ${STEPS}; step++) {
  const metrics = [];
  for (let k = 0; k < ${WIDTH}; k++) metrics.push({ key: 'm' + k, value: step + k / 10, step, timestamp: 1000 + step });
  await store.logBatch(${JSON.stringify(runId)}, { metrics });
}
process.kill(process.pid, 'SIGKILL');
`,
    );
    const child = spawnSync(process.execPath, ['--import', resolve('scripts/register-ts.mjs'), script], { encoding: 'utf8' });
    expect(child.signal).toBe('SIGKILL');
    expect(existsSync(`${dbPath}-wal`)).toBe(true); // no clean close: the data may live only in the WAL

    // MLflow reads every point straight from the file, before we ever reopen it.
    const dump = await python.request<Dump>(`sqlite:///${dbPath} ${runId}`);
    expect(dump.params).toEqual({ lr: '0.001' });
    expect(dump.tags.phase).toBe('train');
    for (let k = 0; k < WIDTH; k++) {
      expect(dump.history[`m${k}`]).toEqual(Array.from({ length: STEPS }, (_, step) => [step, 1000 + step, step + k / 10]));
    }

    // We see the same, the file is intact, and logging continues.
    const reopened = new SqliteStore(`sqlite:///${dbPath}`);
    expect(await reopened.getMetricHistory(runId, 'm4')).toHaveLength(STEPS);
    await reopened.logMetric(runId, 'm0', 42, { step: STEPS, timestamp: 5000 });
    expect((await reopened.getRun(runId)).data.metrics.m0).toBe(42);
    await reopened.close();
    const db = new Database(dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  }, 120_000);
});
