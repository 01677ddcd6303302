// The schema a new store gets must be exactly the one the pinned MLflow creates (fixture dumped by
// scripts/fixtures/mlflow_schema.py from a store MLflow itself made), and files that are not MLflow
// stores at that revision must be refused without being modified.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, TrackingStore } from '../../src/index.js';

interface SchemaFixture {
  mlflow: string;
  revision: string;
  revisions: string[];
  objects: { type: string; name: string; table: string; sql: string }[];
  autoindexes: { name: string; table: string; columns: string[] }[];
  seed: Record<string, { columns: string[]; rows: unknown[][] }>;
  defaultExperiment: { experimentId: number; name: string; lifecycleStage: string; workspace: string };
}

const fixture: SchemaFixture = JSON.parse(readFileSync(new URL('../fixtures/mlflow-schema.json', import.meta.url), 'utf8'));
let dir: string;
let dbPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlxt-schema-'));
  dbPath = join(dir, 'fresh', 'mlflow.db');
  const store = new TrackingStore(`sqlite:///${dbPath}`);
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function objectsOf(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    const objects = db
      .prepare("SELECT type, name, tbl_name AS \"table\", sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
      .all() as SchemaFixture['objects'];
    const autoindexes = (
      db.prepare("SELECT name, tbl_name AS \"table\" FROM sqlite_master WHERE type = 'index' AND name LIKE 'sqlite_autoindex_%' ORDER BY name").all() as {
        name: string;
        table: string;
      }[]
    ).map((i) => ({ ...i, columns: (db.prepare(`PRAGMA index_info('${i.name}')`).all() as { name: string }[]).map((c) => c.name) }));
    const revision = (db.prepare('SELECT version_num FROM alembic_version').all() as { version_num: string }[]).map((r) => r.version_num);
    return { objects, autoindexes, revision, db: null };
  } finally {
    db.close();
  }
}

describe('new store schema', () => {
  it(`has every table of MLflow ${fixture.mlflow} with identical DDL`, () => {
    const { objects } = objectsOf(dbPath);
    const byName = new Map(objects.map((o) => [`${o.type}:${o.name}`, o]));
    const tables = fixture.objects.filter((o) => o.type === 'table');
    expect(tables.length).toBeGreaterThan(50);
    for (const expected of tables) expect(byName.get(`table:${expected.name}`), expected.name).toEqual(expected);
  });

  it('has every index and trigger, and nothing else', () => {
    const { objects, autoindexes } = objectsOf(dbPath);
    const byName = new Map(objects.map((o) => [`${o.type}:${o.name}`, o]));
    for (const expected of fixture.objects.filter((o) => o.type !== 'table')) {
      expect(byName.get(`${expected.type}:${expected.name}`), expected.name).toEqual(expected);
    }
    expect(objects.map((o) => `${o.type}:${o.name}`).sort()).toEqual(fixture.objects.map((o) => `${o.type}:${o.name}`).sort());
    expect(autoindexes).toEqual(fixture.autoindexes);
  });

  it('is stamped with the alembic head revision and holds the seed rows and the Default experiment', () => {
    const { revision } = objectsOf(dbPath);
    expect(revision).toEqual([fixture.revision]);
    expect(fixture.revisions.at(-1)).toBe(fixture.revision);
    const db = new Database(dbPath, { readonly: true });
    try {
      for (const [table, { columns, rows }] of Object.entries(fixture.seed)) {
        const got = db.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM "${table}"`).raw().all();
        expect(got, table).toEqual(rows);
      }
      const exp = db.prepare('SELECT * FROM experiments').all() as Record<string, unknown>[];
      expect(exp).toHaveLength(1);
      expect(exp[0]).toMatchObject({
        experiment_id: fixture.defaultExperiment.experimentId,
        name: fixture.defaultExperiment.name,
        lifecycle_stage: fixture.defaultExperiment.lifecycleStage,
        workspace: fixture.defaultExperiment.workspace,
        // MLflow's rule: "<artifact root>/<experiment id>", root resolved to an absolute path.
        artifact_location: join(dir, 'fresh', 'artifacts', '0'),
      });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});

describe('opening existing files', () => {
  const expectRefused = async (path: string, pattern: RegExp) => {
    const before = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    let error: unknown;
    try {
      new TrackingStore(`sqlite:///${path}`);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe('STORE_SCHEMA_MISMATCH');
    expect((error as Error).message).toMatch(pattern);
    expect((error as Error).message).toContain(path);
    expect(readFileSync(path).equals(before), 'file must be left untouched').toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
  };

  it('reopens its own store and keeps the data', async () => {
    const path = join(dir, 'reopen.db');
    const a = new TrackingStore(`sqlite:///${path}`);
    const id = await a.createExperiment('persisted');
    await a.close();
    const b = new TrackingStore(`sqlite:///${path}`);
    expect((await b.getExperiment(id)).name).toBe('persisted');
    await b.close();
  });

  it('refuses a text file without touching it', async () => {
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(20));
    await expectRefused(path, /not a SQLite database/);
  });

  it('refuses a SQLite file that is not an MLflow store', async () => {
    const path = join(dir, 'other-app.db');
    const db = new Database(path);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada')");
    db.close();
    await expectRefused(path, /not an MLflow tracking store/);
  });

  it('refuses an MLflow store at an older revision and points to mlx-train migrate', async () => {
    const path = join(dir, 'old.db');
    copyFileSync(dbPath, path);
    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.prepare('UPDATE alembic_version SET version_num = ?').run(fixture.revisions[fixture.revisions.length - 5]);
    db.close();
    await expectRefused(path, /older schema revision .*mlx-train migrate/);
  });

  it('refuses an MLflow store at a revision this MLflow does not know', async () => {
    const path = join(dir, 'future.db');
    copyFileSync(dbPath, path);
    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.prepare("UPDATE alembic_version SET version_num = 'ffffffffffff'").run();
    db.close();
    await expectRefused(path, /does not know/);
  });

  it('refuses a corrupt SQLite file without touching it', async () => {
    const path = join(dir, 'corrupt.db');
    copyFileSync(dbPath, path);
    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.close();
    const bytes = readFileSync(path);
    // Keep the header magic, wreck the schema page.
    for (let i = 100; i < Math.min(bytes.length, 4096); i++) bytes[i] = 0xa5;
    writeFileSync(path, bytes);
    await expectRefused(path, /not a readable SQLite database|not an MLflow|malformed/);
  });
});
