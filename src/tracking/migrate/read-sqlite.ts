/**
 * Reads an MLflow SQLite store of any schema revision (1.x to the pinned head) into a snapshot.
 * Columns and tables came and went between revisions, so every table is read with `SELECT *` and each
 * field taken when the revision has it, with MLflow's own default when it does not. The file is opened
 * read-only and read inside one transaction, so a writer elsewhere cannot make the snapshot inconsistent.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MigrateError } from '../../errors.js';
import { MLFLOW_REVISIONS } from '../sqlite/mlflow-schema.js';
import { isValidRunId } from '../validation.js';
import { locateArtifactDir } from './relocate.js';
import type {
  Lifecycle,
  Snapshot,
  SnapshotDataset,
  SnapshotExperiment,
  SnapshotInput,
  SnapshotMetric,
  SnapshotRegisteredModel,
  SnapshotRun,
} from './types.js';

type Row = Record<string, unknown>;

/** A source that cannot be read (MIGRATE_SOURCE): its message is the report's error as it stands. */
export const sourceError = (message: string): MigrateError => new MigrateError(message, 'MIGRATE_SOURCE');
export const isSourceError = (err: unknown): err is MigrateError => err instanceof MigrateError && err.code === 'MIGRATE_SOURCE';

const SQLITE_MAGIC = 'SQLite format 3\0';

export function hasSqliteHeader(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    return buf.subarray(0, n).toString('latin1') === SQLITE_MAGIC;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const int = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const lifecycle = (v: unknown): Lifecycle => (v === 'deleted' ? 'deleted' : 'active');

/** The one wording for a refused run, shared by both readers. */
export function refusedRunMessage(runId: unknown): string {
  return `run ${JSON.stringify(String(runId))} refused: not a valid MLflow run id (a letter or digit, then letters, digits, '_' or '-'; MLflow writes 32 hex characters), so it could name a path outside the artifact root`;
}

/** Why a SQLite file is or is not an MLflow store: its revision, or a reason to refuse it. */
export function inspectSchema(db: Database.Database, path: string): { revision: string; tables: Set<string> } {
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
  );
  if (!tables.has('experiments') || !tables.has('runs')) {
    throw sourceError(`${path}: not an MLflow store (no experiments/runs tables; tables: ${[...tables].slice(0, 6).join(', ') || 'none'})`);
  }
  if (!tables.has('alembic_version')) return { revision: '(none)', tables };
  const row = db.prepare('SELECT version_num FROM alembic_version').get() as { version_num: string } | undefined;
  const revision = row?.version_num ?? '(none)';
  if (row && !MLFLOW_REVISIONS.includes(revision)) {
    throw sourceError(
      `${path}: unknown MLflow schema revision '${revision}' (not in the migration chain of the pinned MLflow; written by a newer MLflow?)`,
    );
  }
  return { revision, tables };
}

/** Opens a source read-only; refuses a file that is not SQLite before SQLite touches it. */
export function openSourceDatabase(path: string): Database.Database {
  if (!hasSqliteHeader(path)) throw sourceError(`${path}: not a SQLite database (bad or missing file header)`);
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 20000');
    return db;
  } catch (err) {
    throw sourceError(`${path}: cannot be opened read-only (${(err as Error).message})`);
  }
}

function toMetric(r: Row, hasNanColumn: boolean): SnapshotMetric {
  // Before revision 181f10493468 there was no is_nan column and a NaN was stored as NULL.
  const raw = r.value as number | null;
  const isNan = hasNanColumn ? (Number(r.is_nan) ? 1 : 0) : raw === null ? 1 : 0;
  return { key: String(r.key), value: isNan ? 0 : Number(raw), timestamp: Number(r.timestamp ?? 0), step: Number(r.step ?? 0), isNan };
}

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name));
}

function groupBy<T>(rows: Row[], key: string, map: (r: Row) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = String(r[key]);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(map(r));
  }
  return out;
}

export function readSqliteStore(path: string): Snapshot {
  const db = openSourceDatabase(path);
  try {
    return db.transaction(() => readAll(db, path))();
  } catch (err) {
    if (isSourceError(err)) throw err;
    throw sourceError(`${path}: cannot be read (${(err as Error).message})`);
  } finally {
    db.close();
  }
}

function readAll(db: Database.Database, path: string): Snapshot {
  const { revision, tables } = inspectSchema(db, path);
  const all = (table: string): Row[] => (tables.has(table) ? (db.prepare(`SELECT * FROM "${table}"`).all() as Row[]) : []);
  const warnings: string[] = [];
  const base = dirname(path);

  const expTags = groupBy(all('experiment_tags'), 'experiment_id', (r) => [String(r.key), str(r.value)] as [string, string | null]);
  const experiments: SnapshotExperiment[] = all('experiments').map((r) => ({
    sourceId: String(r.experiment_id),
    name: String(r.name),
    workspace: str(r.workspace) ?? 'default',
    artifactLocation: str(r.artifact_location),
    lifecycleStage: lifecycle(r.lifecycle_stage),
    creationTime: int(r.creation_time),
    lastUpdateTime: int(r.last_update_time),
    tags: expTags.get(String(r.experiment_id)) ?? [],
  }));

  const hasNan = columnsOf(db, 'metrics').has('is_nan');
  const params = groupBy(all('params'), 'run_uuid', (r) => [String(r.key), String(r.value)] as [string, string]);
  const tags = groupBy(all('tags'), 'run_uuid', (r) => [String(r.key), str(r.value)] as [string, string | null]);
  const metrics = groupBy(all('metrics'), 'run_uuid', (r) => toMetric(r, hasNan));
  const latestHasNan = tables.has('latest_metrics') && columnsOf(db, 'latest_metrics').has('is_nan');
  const latest = tables.has('latest_metrics') ? groupBy(all('latest_metrics'), 'run_uuid', (r) => toMetric(r, latestHasNan)) : null;

  // A run id becomes a folder name under the central artifact root: one that is not an MLflow run id
  // (`../x`, `a/b`) is refused, with everything that hangs off it, and the rest of the store migrates.
  const refusedRuns: string[] = [];
  const runRows = all('runs').filter((r) => {
    if (isValidRunId(r.run_uuid)) return true;
    refusedRuns.push(refusedRunMessage(r.run_uuid));
    return false;
  });
  const runs: SnapshotRun[] = runRows.map((r) => {
    const runId = String(r.run_uuid);
    const artifactUri = str(r.artifact_uri);
    return {
      runId,
      experimentSourceId: String(r.experiment_id),
      name: str(r.name),
      sourceType: str(r.source_type),
      sourceName: str(r.source_name),
      entryPointName: str(r.entry_point_name),
      userId: str(r.user_id),
      status: str(r.status),
      startTime: int(r.start_time),
      endTime: int(r.end_time),
      sourceVersion: str(r.source_version),
      lifecycleStage: lifecycle(r.lifecycle_stage),
      artifactUri,
      deletedTime: int(r.deleted_time),
      params: params.get(runId) ?? [],
      tags: tags.get(runId) ?? [],
      metrics: metrics.get(runId) ?? [],
      latestMetrics: latest ? (latest.get(runId) ?? []) : null,
      artifactDir: locateArtifactDir(artifactUri, runId, [base]),
    };
  });

  const datasets: SnapshotDataset[] = all('datasets').map((r) => ({
    datasetUuid: String(r.dataset_uuid),
    experimentSourceId: String(r.experiment_id),
    name: String(r.name),
    digest: String(r.digest),
    sourceType: String(r.dataset_source_type),
    source: String(r.dataset_source),
    schema: str(r.dataset_schema),
    profile: str(r.dataset_profile),
  }));
  const inputTags = groupBy(all('input_tags'), 'input_uuid', (r) => [String(r.name), String(r.value)] as [string, string]);
  const inputs: SnapshotInput[] = all('inputs').map((r) => ({
    inputUuid: String(r.input_uuid),
    sourceType: String(r.source_type),
    sourceId: String(r.source_id),
    destinationType: String(r.destination_type),
    destinationId: String(r.destination_id),
    step: Number(r.step ?? 0),
    tags: inputTags.get(String(r.input_uuid)) ?? [],
  }));

  const modelKey = (r: Row): string => `${str(r.workspace) ?? 'default'}\u0000${String(r.name)}`;
  const modelTags = new Map<string, [string, string | null][]>();
  for (const r of all('registered_model_tags')) {
    const k = modelKey(r);
    modelTags.set(k, [...(modelTags.get(k) ?? []), [String(r.key), str(r.value)]]);
  }
  const versionTags = new Map<string, [string, string | null][]>();
  for (const r of all('model_version_tags')) {
    const k = `${modelKey(r)}\u0000${r.version}`;
    versionTags.set(k, [...(versionTags.get(k) ?? []), [String(r.key), str(r.value)]]);
  }
  const aliases = new Map<string, [string, number][]>();
  for (const r of all('registered_model_aliases')) {
    const k = modelKey(r);
    aliases.set(k, [...(aliases.get(k) ?? []), [String(r.alias), Number(r.version)]]);
  }
  const versions = new Map<string, Row[]>();
  for (const r of all('model_versions')) versions.set(modelKey(r), [...(versions.get(modelKey(r)) ?? []), r]);
  const registeredModels: SnapshotRegisteredModel[] = all('registered_models').map((r) => {
    const k = modelKey(r);
    return {
      name: String(r.name),
      workspace: str(r.workspace) ?? 'default',
      creationTime: int(r.creation_time),
      lastUpdatedTime: int(r.last_updated_time),
      description: str(r.description),
      tags: modelTags.get(k) ?? [],
      aliases: aliases.get(k) ?? [],
      versions: (versions.get(k) ?? []).map((v) => ({
        version: Number(v.version),
        creationTime: int(v.creation_time),
        lastUpdatedTime: int(v.last_updated_time),
        description: str(v.description),
        userId: str(v.user_id),
        currentStage: str(v.current_stage),
        source: str(v.source),
        runId: str(v.run_id),
        status: str(v.status),
        statusMessage: str(v.status_message),
        runLink: str(v.run_link),
        storageLocation: str(v.storage_location),
        tags: versionTags.get(`${k}\u0000${v.version}`) ?? [],
      })),
    };
  });

  for (const [table, what] of [
    ['trace_info', 'traces'],
    ['logged_models', 'logged models'],
  ] as const) {
    if (!tables.has(table)) continue;
    const n = (db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n;
    if (n > 0) warnings.push(`${n} ${what} not migrated (only runs, experiments, datasets and the model registry are carried)`);
  }

  const keptIds = new Set(runs.map((r) => r.runId));
  const keptInputs = inputs.filter((i) => i.destinationType !== 'RUN' || keptIds.has(i.destinationId));
  return { ref: { kind: 'sqlite', path }, schemaRevision: revision, experiments, runs, datasets, inputs: keptInputs, registeredModels, warnings, refusedRuns };
}
