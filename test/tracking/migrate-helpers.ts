// Shared by the migration tests: fresh copies of the committed MLflow fixture stores, checksums of a
// folder tree, a canonical dump of a SQLite file, and the pinned MLflow client's description of a store.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { mlflowEnv, testPython } from './mlflow-python.js';

export const FIXTURES = resolve('test/fixtures/mlflow-stores');
export const FIXTURE_NAMES = readdirSync(FIXTURES).sort();
export const DBL_MAX = 1.7976931348623157e308;

/** The store's path inside a fixture folder: the SQLite file or the file store root. */
export const storePath = (dir: string, name: string): string => join(dir, name, name.endsWith('-sqlite') ? 'mlflow.db' : 'filestore');

export function copyFixtures(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-migrate-'));
  cpSync(FIXTURES, join(dir, 'sources'), { recursive: true });
  return dir;
}

/** relative path → sha256 of every file under `root`. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(root, full)] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(root);
  return out;
}

/** Every row of every table, in a stable order: equal dumps mean the store did not change. */
export function dumpTables(path: string): Record<string, unknown[]> {
  const db = new Database(path, { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
    const orderBy = (t: string): string => {
      const n = (db.prepare(`PRAGMA table_info("${t}")`).all() as unknown[]).length;
      return Array.from({ length: n }, (_, i) => i + 1).join(', ');
    };
    return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY ${orderBy(t)}`).all()]));
  } finally {
    db.close();
  }
}

export interface DumpedRun {
  runId: string;
  experiment: string;
  status: string;
  lifecycleStage: string;
  startTime: number;
  endTime: number | null;
  userId: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number | string>;
  history: Record<string, [number, number, number | string][]>;
  datasets: unknown[];
  artifacts: { path: string; size: number; sha256: string }[];
}

export interface DumpedVersion {
  runId: string | null;
  source: string;
  stage: string;
  description: string | null;
  tags: Record<string, string>;
  creationTime: number;
}

export interface DumpedStore {
  experiments: { name: string; lifecycleStage: string; tags: Record<string, string> }[];
  runs: DumpedRun[];
  registeredModels: { name: string; description: string | null; tags: Record<string, string>; versions: DumpedVersion[]; aliases: Record<string, [string, number]> }[] | { unsupported: string };
  mlflow?: string;
  backend?: string;
}

/** What the pinned MLflow client (the test venv) sees in a tracking store. */
export function describeWithMlflow(trackingUri: string): Promise<DumpedStore> {
  return new Promise((done, fail) => {
    execFile(
      testPython(),
      [resolve('scripts/fixtures/mlflow_stores_dump.py'), trackingUri],
      { env: { ...mlflowEnv(), MLFLOW_ALLOW_FILE_STORE: 'true' }, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return fail(new Error(`mlflow_stores_dump.py failed: ${err.message}\n${stderr.slice(-3000)}`));
        const line = stdout.split('\n').find((l) => l.startsWith('@@JSON@@'));
        if (!line) return fail(new Error(`no @@JSON@@ line in:\n${stdout.slice(-2000)}`));
        done(JSON.parse(line.slice(8)) as DumpedStore);
      },
    );
  });
}

export const expectedOf = (name: string): DumpedStore => JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as DumpedStore;

/**
 * MLflow's SQL store cannot hold ±Infinity and keeps ±DBL_MAX instead (what MLflow itself does when it
 * logs ±Inf to SQLite); a file store keeps ±Inf. Expectations from file stores are mapped to the SQL form.
 */
export function asSqlValue(v: number | string): number | string {
  if (v === 'Infinity') return DBL_MAX;
  if (v === '-Infinity') return -DBL_MAX;
  return v;
}
