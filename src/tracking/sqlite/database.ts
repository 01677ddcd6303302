/**
 * Opens (or creates) an MLflow SQLite store file and guards it: a new file gets exactly the schema the
 * pinned MLflow creates; an existing file must be an MLflow store at that schema revision. A file that is
 * not an MLflow store is never written to.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { MLFLOW_REVISIONS, MLFLOW_SCHEMA_DDL, MLFLOW_SCHEMA_REVISION, MLFLOW_SEED_ROWS, MLFLOW_VERSION } from './mlflow-schema.js';

export type Db = Database.Database;
export type Statement = Database.Statement;
export type Transaction<F extends Parameters<Db['transaction']>[0]> = Database.Transaction<F>;

/** How long one statement waits for another writer before SQLite reports SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 20_000;

const SQLITE_MAGIC = 'SQLite format 3\0';

function readMagic(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

function schemaError(path: string, problem: string, hint: string, cause?: unknown): StoreError {
  return new StoreError(`${path}: ${problem}. ${hint}`, 'STORE_SCHEMA_MISMATCH', cause ? { cause } : undefined);
}

/**
 * Connection settings, chosen for a training process logging while the MLflow UI reads:
 * - WAL: readers (the UI, `mlflow server`) never block the writer and vice versa.
 * - synchronous=NORMAL: with WAL, a committed flush survives any crash or kill -9 of the process and the
 *   file is never corrupted; only an OS crash or power cut can drop the last few commits. FULL adds an
 *   fsync per commit, measured at ~4 ms on our disk against 0.04 ms (bench/RESULTS.md, Tracking),
 *   which would make logging cost more than a small model's training step.
 * - busy_timeout: a writer waits for another writer instead of failing at once.
 * - foreign_keys and case_sensitive_like: what MLflow's own sessions set, so constraints and LIKE behave
 *   identically whichever client wrote or searches the file.
 */
function configure(db: Db): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('case_sensitive_like = ON');
}

function tableNames(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map(
    (r) => r.name,
  );
}

function createSchema(db: Db): void {
  db.transaction(() => {
    for (const ddl of MLFLOW_SCHEMA_DDL) db.exec(ddl);
    for (const [table, { columns, rows }] of Object.entries(MLFLOW_SEED_ROWS)) {
      const insert = db.prepare(
        `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      );
      for (const row of rows) insert.run(...row);
    }
    db.prepare('INSERT INTO alembic_version (version_num) VALUES (?)').run(MLFLOW_SCHEMA_REVISION);
  }).immediate();
}

function checkRevision(db: Db, path: string): void {
  const tables = new Set(tableNames(db));
  if (!tables.has('alembic_version') || !tables.has('experiments') || !tables.has('runs')) {
    throw schemaError(
      path,
      `is a SQLite database but not an MLflow tracking store (tables: ${[...tables].slice(0, 8).join(', ') || 'none'})`,
      'Point MLFLOW_TRACKING_URI at an MLflow store or at a new file; this one was left untouched',
    );
  }
  const row = db.prepare('SELECT version_num FROM alembic_version').get() as { version_num: string } | undefined;
  const found = row?.version_num;
  if (found === MLFLOW_SCHEMA_REVISION) return checkTables(db, path);
  const index = found ? MLFLOW_REVISIONS.indexOf(found) : -1;
  if (index >= 0) {
    throw schemaError(
      path,
      `is an MLflow store at an older schema revision (${found}; this mlx-train writes ${MLFLOW_SCHEMA_REVISION}, MLflow ${MLFLOW_VERSION})`,
      `Upgrade it first: run \`mlx-train migrate sqlite:///${path}\` (or \`mlflow db upgrade sqlite:///${path}\` with MLflow ${MLFLOW_VERSION})`,
    );
  }
  throw schemaError(
    path,
    `is an MLflow store at schema revision ${found ?? '(none)'}, which MLflow ${MLFLOW_VERSION} does not know (written by a newer MLflow?)`,
    `This mlx-train writes revision ${MLFLOW_SCHEMA_REVISION}; use a store created by MLflow ${MLFLOW_VERSION} or upgrade mlx-train`,
  );
}

let expectedColumns: Map<string, string[]> | undefined;

/** Every table of the pinned schema and its columns, read from the DDL applied to an in-memory database. */
function headColumns(): Map<string, string[]> {
  if (expectedColumns) return expectedColumns;
  const mem = new Database(':memory:');
  try {
    for (const ddl of MLFLOW_SCHEMA_DDL) mem.exec(ddl);
    expectedColumns = new Map(tableNames(mem).map((t) => [t, columnNames(mem, t)]));
  } finally {
    mem.close();
  }
  return expectedColumns;
}

function columnNames(db: Db, table: string): string[] {
  return (db.prepare(`PRAGMA table_info("${table.replace(/"/g, '""')}")`).all() as { name: string }[]).map((c) => c.name);
}

/**
 * A store that says it is at the head revision must have every table and column that revision has:
 * one with a table dropped or a column missing would fail later, mid-run, with a raw SQLite error.
 */
function checkTables(db: Db, path: string): void {
  const present = new Set(tableNames(db));
  const problems: string[] = [];
  for (const [table, columns] of headColumns()) {
    if (!present.has(table)) {
      problems.push(`table '${table}' is missing`);
      continue;
    }
    const have = new Set(columnNames(db, table));
    const missing = columns.filter((c) => !have.has(c));
    if (missing.length) problems.push(`table '${table}' lacks column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}`);
  }
  if (problems.length) {
    throw schemaError(
      path,
      `says it is at MLflow schema revision ${MLFLOW_SCHEMA_REVISION} but does not have that schema: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      'It was left untouched; restore it from a backup or point the store at another file',
    );
  }
}

/** `:memory:` or a file path. A missing or empty file becomes a new store. */
export function openDatabase(path: string): Db {
  const isMemory = path === ':memory:';
  const isNew = isMemory || !existsSync(path) || statSync(path).size === 0;
  if (!isNew) {
    if (statSync(path).isDirectory()) {
      throw schemaError(path, 'is a directory, not a SQLite file', 'Use sqlite:///<dir>/mlflow.db');
    }
    if (readMagic(path) !== SQLITE_MAGIC) {
      throw schemaError(path, 'is not a SQLite database (bad file header)', 'It was left untouched; point the store at another file');
    }
  } else if (!isMemory) {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new StoreError(`cannot create the folder for the tracking store ${path} (${code}: ${(err as Error).message})`, 'INVALID_PARAMETER_VALUE', { cause: err });
    }
  }
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw schemaError(path, `cannot be opened as a SQLite database (${(err as Error).message})`, 'It was left untouched', err);
  }
  try {
    if (!isNew) {
      // Read the schema before changing any setting: a corrupt file must fail here, unmodified.
      const tables = tableNames(db);
      if (tables.length > 0) checkRevision(db, path);
      configure(db);
      if (tables.length === 0) createSchema(db);
    } else {
      configure(db);
      createSchema(db);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    throw schemaError(path, `is not a readable SQLite database (${(err as Error).message})`, 'It was left untouched', err);
  }
}

/** SQLITE_BUSY / SQLITE_LOCKED: another connection holds the lock longer than busy_timeout. */
export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
