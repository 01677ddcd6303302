/**
 * `TrackingStore`: experiments, runs, metrics, artifacts and the model registry in a SQLite file that
 * MLflow itself reads and writes (same schema, same row encoding). Every write is one transaction.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { alreadyExists, invalidParameter, notFound, StoreError } from '../errors.js';
import { generateRunName } from '../run-names.js';
import { DEFAULT_TRACKING_URI } from '../uri.js';
import { buildExperimentSearch, buildRunSearch, createPageToken, parsePageToken } from '../search/sql.js';
import type {
  CreateExperimentOptions,
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  CreateRunOptions,
  DatasetInput,
  Experiment,
  FileInfo,
  LifecycleStage,
  LogBatchInput,
  Metric,
  ModelVersion,
  Page,
  ParamValue,
  RegisteredModel,
  Run,
  RunStatus,
  SearchExperimentsOptions,
  SearchRegisteredModelsOptions,
  SearchRunsOptions,
  TrackingClient,
  UpdateRunOptions,
  ViewType,
} from '../types.js';
import {
  MAX_DATASET_DIGEST_SIZE,
  MAX_DATASET_NAME_SIZE,
  MAX_EXPERIMENT_TAG_VAL_LENGTH,
  MAX_INPUT_TAG_KEY_SIZE,
  MAX_INPUT_TAG_VALUE_SIZE,
  validateBatchLimits,
  validateExperimentId,
  validateExperimentName,
  validateLength,
  validateMaxResults,
  validateMetric,
  validateParam,
  validateRunId,
  validateRunTag,
  validateTag,
} from '../validation.js';
import { paramValueToString } from '../values.js';
import * as artifacts from './artifacts.js';
import { type Db, isBusyError, openDatabase, type Statement, type Transaction } from './database.js';
import { Registry } from './registry.js';

export interface TrackingStoreOptions {
  /** Root under which new experiments keep artifacts (`<root>/<experiment id>`). Default: `artifacts` next to the DB file. */
  artifactRoot?: string;
}

const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
/** MLflow stores ±Inf as ±DBL_MAX (SQL has no infinity) and NaN as 0 with is_nan = 1. */
const DBL_MAX = 1.7976931348623157e308;
const DEFAULT_MAX_RESULTS = 1000;

interface RunRow {
  run_uuid: string;
  name: string | null;
  user_id: string | null;
  status: RunStatus;
  start_time: number | null;
  end_time: number | null;
  lifecycle_stage: LifecycleStage;
  artifact_uri: string | null;
  experiment_id: number;
}

interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: LifecycleStage;
  creation_time: number | null;
  last_update_time: number | null;
}

/** Stored form of a non-NaN metric value (NaN is stored as 0 with is_nan = 1). */
function encodeMetricValue(value: number): number {
  if (value === Number.POSITIVE_INFINITY) return DBL_MAX;
  if (value === Number.NEGATIVE_INFINITY) return -DBL_MAX;
  return value;
}

const INSERT_METRIC = 'INSERT OR IGNORE INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)';

/**
 * Upserts one point into latest_metrics when it is newer by MLflow's rule (see #insertMetrics). A NULL
 * timestamp (older stores) counts as 0.
 */
const ADVANCE_LATEST_METRIC = `INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT ("key", run_uuid) DO UPDATE
  SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
  WHERE (excluded.step, excluded.timestamp, excluded.value) > (latest_metrics.step, IFNULL(latest_metrics.timestamp, 0), latest_metrics.value)`;

/** MLflow's refusal to change a deleted run. */
function requireActiveStage(runId: string, stage: LifecycleStage): void {
  if (stage !== 'active') throw invalidParameter(`The run ${runId} must be in the 'active' state. Current state is ${stage}.`);
}

const decodeMetricValue = (value: number, isNan: number): number => (isNan ? Number.NaN : value);

/** `sqlite:///rel.db`, `sqlite:////abs.db`, `sqlite://` (memory) → a path for better-sqlite3. */
export function sqlitePathFromUri(uri: string): string {
  const match = /^sqlite:\/\/(\/?)(.*)$/.exec(uri);
  if (!match) throw invalidParameter(`Invalid SQLite URI '${uri}': expected sqlite:///<relative path> or sqlite:////<absolute path>`);
  const rest = match[2].split('?')[0];
  if (match[1] === '' && rest === '') return ':memory:';
  if (rest === '' || rest === ':memory:') return ':memory:';
  return resolve(decodeURIComponent(rest));
}

/** The git commit of the script's checkout, read from .git without spawning git. */
function gitCommit(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    const head = join(dir, '.git', 'HEAD');
    if (existsSync(head)) {
      try {
        const text = readFileSync(head, 'utf8').trim();
        if (!text.startsWith('ref: ')) return /^[0-9a-f]{40}$/.test(text) ? text : undefined;
        const ref = text.slice(5);
        const loose = join(dir, '.git', ref);
        if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
        const packed = join(dir, '.git', 'packed-refs');
        if (existsSync(packed)) {
          const line = readFileSync(packed, 'utf8').split('\n').find((l) => l.endsWith(` ${ref}`));
          return line?.split(' ')[0];
        }
      } catch {
        return undefined;
      }
      return undefined;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function defaultSystemTags(): Record<string, string> {
  const tags: Record<string, string> = { 'mlflow.source.type': 'LOCAL' };
  try {
    tags['mlflow.user'] = userInfo().username;
  } catch {
    // No passwd entry (some containers): leave the tag unset, as MLflow does.
  }
  const script = process.argv[1];
  if (script) {
    tags['mlflow.source.name'] = resolve(script);
    const commit = gitCommit(dirname(resolve(script)));
    if (commit) tags['mlflow.source.git.commit'] = commit;
  }
  return tags;
}

export class TrackingStore implements TrackingClient {
  readonly trackingUri: string;
  /** Absolute path of the database file (`:memory:` for an in-memory store). */
  readonly path: string;
  readonly artifactRoot: string;
  readonly #db: Db;
  readonly #registry: Registry;
  /** Every fixed statement, prepared once: preparing costs more than running the small statements logging uses. */
  readonly #statements = new Map<string, Statement>();
  /** Runs its argument inside a transaction; made once, since `db.transaction()` builds several closures per call. */
  readonly #transaction: Transaction<(fn: () => unknown) => unknown>;
  #closed = false;

  /** Opens `sqlite:///path.db` (or a plain file path), creating the store if the file is missing. */
  constructor(uriOrPath: string = DEFAULT_TRACKING_URI, options: TrackingStoreOptions = {}) {
    this.path = uriOrPath.startsWith('sqlite:') ? sqlitePathFromUri(uriOrPath) : resolve(uriOrPath);
    this.trackingUri = this.path === ':memory:' ? 'sqlite://' : `sqlite:///${this.path}`;
    this.artifactRoot = artifacts.resolveLocalRoot(
      options.artifactRoot ?? (this.path === ':memory:' ? join(process.cwd(), 'mlruns', 'artifacts') : join(dirname(this.path), 'artifacts')),
    );
    this.#db = openDatabase(this.path);
    this.#transaction = this.#db.transaction((fn: () => unknown) => fn());
    this.#registry = new Registry(this.#db);
    this.#ensureDefaultExperiment();
  }

  /** The raw connection, for tools (migrate, doctor) that need SQL the store does not offer. */
  get database(): Db {
    return this.#db;
  }

  // ---------------------------------------------------------------- plumbing

  #check(): void {
    if (this.#closed) throw new StoreError(`the tracking store ${this.trackingUri} is closed`, 'INVALID_STATE');
  }

  /** The prepared statement for a fixed SQL text (never for generated SQL such as searches, which varies). */
  #sql(text: string): Statement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.#db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  /**
   * Runs `fn` in one IMMEDIATE transaction. busy_timeout already waits for other writers; if SQLite
   * still reports BUSY (e.g. a checkpoint holding the lock longer), retry with backoff so callers never
   * see "database is locked".
   */
  async #write<T>(fn: () => T): Promise<T> {
    this.#check();
    for (let attempt = 0; ; attempt++) {
      try {
        return this.#transaction.immediate(fn) as T;
      } catch (err) {
        if (!isBusyError(err) || attempt >= 50) throw err;
        await sleep(Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  async #read<T>(fn: () => T): Promise<T> {
    this.#check();
    for (let attempt = 0; ; attempt++) {
      try {
        return this.#transaction.deferred(fn) as T;
      } catch (err) {
        if (!isBusyError(err) || attempt >= 50) throw err;
        await sleep(Math.min(1000, 10 * 2 ** attempt) * (0.5 + Math.random()));
      }
    }
  }

  #ensureDefaultExperiment(): void {
    const exists = this.#sql('SELECT 1 FROM experiments WHERE experiment_id = 0').get();
    if (exists) return;
    const now = Date.now();
    this.#sql(
      "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES (0, 'Default', ?, 'active', ?, ?, 'default')",
    ).run(artifacts.appendToUri(this.artifactRoot, '0'), now, now);
  }

  #experimentRow(experimentId: string | number): ExperimentRow {
    const id = validateExperimentId(experimentId);
    const row = this.#sql('SELECT * FROM experiments WHERE experiment_id = ?').get(id) as ExperimentRow | undefined;
    if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
    return row;
  }

  #toExperiment(row: ExperimentRow): Experiment {
    const tags = this.#sql('SELECT "key", value FROM experiment_tags WHERE experiment_id = ?').all(row.experiment_id) as {
      key: string;
      value: string | null;
    }[];
    return {
      experimentId: String(row.experiment_id),
      name: row.name,
      artifactLocation: row.artifact_location ?? '',
      lifecycleStage: row.lifecycle_stage,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])),
      creationTime: row.creation_time ?? 0,
      lastUpdateTime: row.last_update_time ?? 0,
    };
  }

  #runRow(runId: string): RunRow {
    validateRunId(runId);
    const row = this.#sql('SELECT * FROM runs WHERE run_uuid = ?').get(runId) as RunRow | undefined;
    if (!row) throw notFound(`Run with id=${runId} not found`);
    return row;
  }

  /** What every logging call checks: the run exists and is not deleted (one indexed lookup, no row object). */
  #requireActiveRun(runId: string): void {
    validateRunId(runId);
    const stage = this.#sql('SELECT lifecycle_stage FROM runs WHERE run_uuid = ?').get(runId) as { lifecycle_stage: LifecycleStage } | undefined;
    if (!stage) throw notFound(`Run with id=${runId} not found`);
    requireActiveStage(runId, stage.lifecycle_stage);
  }

  #activeRunRow(runId: string): RunRow {
    const row = this.#runRow(runId);
    requireActiveStage(runId, row.lifecycle_stage);
    return row;
  }

  #toRun(row: RunRow): Run {
    const metrics = this.#sql('SELECT "key", value, is_nan FROM latest_metrics WHERE run_uuid = ?').all(row.run_uuid) as {
      key: string;
      value: number;
      is_nan: number;
    }[];
    const params = this.#sql('SELECT "key", value FROM params WHERE run_uuid = ?').all(row.run_uuid) as { key: string; value: string }[];
    const tags = this.#sql('SELECT "key", value FROM tags WHERE run_uuid = ?').all(row.run_uuid) as { key: string; value: string | null }[];
    return {
      info: {
        runId: row.run_uuid,
        runName: row.name ?? '',
        experimentId: String(row.experiment_id),
        userId: row.user_id ?? '',
        status: row.status,
        startTime: row.start_time ?? 0,
        endTime: row.end_time ?? null,
        artifactUri: row.artifact_uri ?? '',
        lifecycleStage: row.lifecycle_stage,
      },
      data: {
        metrics: Object.fromEntries(metrics.map((m) => [m.key, decodeMetricValue(m.value, m.is_nan)])),
        params: Object.fromEntries(params.map((p) => [p.key, p.value])),
        tags: Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])),
      },
      inputs: { datasetInputs: this.#datasetInputs(row.run_uuid) },
    };
  }

  #datasetInputs(runId: string): DatasetInput[] {
    const rows = this.#sql(
      `SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile
       FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
       WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = ? ORDER BY i.rowid`,
    ).all(runId) as {
      input_uuid: string;
      name: string;
      digest: string;
      dataset_source_type: string;
      dataset_source: string;
      dataset_schema: string | null;
      dataset_profile: string | null;
    }[];
    const tagQuery = this.#sql('SELECT name, value FROM input_tags WHERE input_uuid = ? ORDER BY rowid');
    return rows.map((r) => ({
      dataset: {
        name: r.name,
        digest: r.digest,
        sourceType: r.dataset_source_type,
        source: r.dataset_source,
        ...(r.dataset_schema != null ? { schema: r.dataset_schema } : {}),
        ...(r.dataset_profile != null ? { profile: r.dataset_profile } : {}),
      },
      tags: (tagQuery.all(r.input_uuid) as { name: string; value: string }[]).map((t) => ({ key: t.name, value: t.value })),
    }));
  }

  // ---------------------------------------------------------------- experiments

  async createExperiment(name: string, options: CreateExperimentOptions = {}): Promise<string> {
    validateExperimentName(name);
    const location = options.artifactLocation ? artifacts.resolveLocalRoot(options.artifactLocation) : undefined;
    if (location) validateLength('artifact_location', 8000, location);
    const tags = Object.entries(options.tags ?? {});
    for (const [key, value] of tags) {
      validateTag(key, value, '', MAX_EXPERIMENT_TAG_VAL_LENGTH);
    }
    return this.#write(() => {
      const clash = this.#sql("SELECT experiment_id FROM experiments WHERE name = ? AND workspace = 'default'").get(name);
      if (clash) throw alreadyExists(`Experiment(name=${name}) already exists.`);
      const now = Date.now();
      const info = this.#sql(
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES (?, ?, 'active', ?, ?, 'default')",
      ).run(name, location ?? null, now, now);
      const id = Number(info.lastInsertRowid);
      if (!location) {
        this.#sql('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?').run(artifacts.appendToUri(this.artifactRoot, String(id)), id);
      }
      const insertTag = this.#sql('INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (?, ?, ?)');
      for (const [key, value] of tags) insertTag.run(key, value, id);
      return String(id);
    });
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    return this.#read(() => this.#toExperiment(this.#experimentRow(experimentId)));
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.#read(() => {
      const row = this.#sql("SELECT * FROM experiments WHERE name = ? AND workspace = 'default'").get(name) as ExperimentRow | undefined;
      return row ? this.#toExperiment(row) : null;
    });
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page & { experiments: Experiment[] }> {
    const maxResults = validateMaxResults(options.maxResults ?? DEFAULT_MAX_RESULTS);
    const offset = parsePageToken(options.pageToken);
    const query = buildExperimentSearch({ ...options, limit: maxResults + 1, offset });
    return this.#read(() => {
      const ids = this.#db.prepare(query.sql).all(...query.params) as { experiment_id: number }[];
      const experiments = ids.slice(0, maxResults).map((r) => this.#toExperiment(this.#experimentRow(r.experiment_id)));
      return ids.length > maxResults ? { experiments, nextPageToken: createPageToken(offset + maxResults) } : { experiments };
    });
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentName(newName);
    await this.#write(() => {
      const row = this.#experimentRow(experimentId);
      if (row.lifecycle_stage !== 'active') throw new StoreError('Cannot rename a non-active experiment.', 'INVALID_STATE');
      const clash = this.#sql("SELECT experiment_id FROM experiments WHERE name = ? AND workspace = 'default' AND experiment_id != ?")
        .get(newName, row.experiment_id);
      if (clash) throw alreadyExists(`Experiment(name=${newName}) already exists.`);
      this.#sql('UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?').run(newName, Date.now(), row.experiment_id);
    });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateTag(key, value, '', MAX_EXPERIMENT_TAG_VAL_LENGTH);
    await this.#write(() => {
      const row = this.#experimentRow(experimentId);
      if (row.lifecycle_stage !== 'active') {
        throw invalidParameter(`The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
      }
      this.#sql('INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (?, ?, ?) ON CONFLICT ("key", experiment_id) DO UPDATE SET value = excluded.value')
        .run(key, value, row.experiment_id);
    });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.#write(() => {
      const row = this.#experimentRow(experimentId);
      const now = Date.now();
      this.#sql("UPDATE experiments SET lifecycle_stage = 'deleted', last_update_time = ? WHERE experiment_id = ?").run(now, row.experiment_id);
      this.#sql("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE experiment_id = ? AND lifecycle_stage = 'active'")
        .run(now, row.experiment_id);
    });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.#write(() => {
      const row = this.#experimentRow(experimentId);
      if (row.lifecycle_stage !== 'deleted') {
        throw invalidParameter(`The experiment ${row.experiment_id} must be in the 'deleted' state. Current state is ${row.lifecycle_stage}.`);
      }
      this.#sql("UPDATE experiments SET lifecycle_stage = 'active', last_update_time = ? WHERE experiment_id = ?").run(Date.now(), row.experiment_id);
      this.#sql("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE experiment_id = ?").run(row.experiment_id);
    });
  }

  // ---------------------------------------------------------------- runs

  async createRun(experimentId: string, options: CreateRunOptions = {}): Promise<Run> {
    const tags: Record<string, string> = { ...defaultSystemTags(), ...(options.tags ?? {}) };
    if (options.parentRunId !== undefined) tags['mlflow.parentRunId'] = validateRunId(options.parentRunId);
    if (options.description !== undefined) tags['mlflow.note.content'] = options.description;
    if (options.userId !== undefined) tags['mlflow.user'] = options.userId;
    const tagName = tags['mlflow.runName'];
    if (options.runName && tagName && options.runName !== tagName) {
      throw invalidParameter(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${options.runName}', mlflow.runName='${tagName}').`,
      );
    }
    const runName = options.runName || tagName || generateRunName();
    tags['mlflow.runName'] = runName;
    Object.entries(tags).forEach(([key, value], i) => {
      tags[key] = validateRunTag(key, value, `tags[${i}]`);
    });
    const startTime = options.startTime ?? Date.now();
    if (!Number.isInteger(startTime) || startTime < 0) throw invalidParameter(`Invalid start time ${startTime}: expected epoch milliseconds`);
    const runId = randomUUID().replace(/-/g, '');
    return this.#write(() => {
      const experiment = this.#experimentRow(experimentId);
      if (experiment.lifecycle_stage !== 'active') {
        throw invalidParameter(`The experiment ${experiment.experiment_id} must be in the 'active' state. Current state is ${experiment.lifecycle_stage}.`);
      }
      if (options.parentRunId !== undefined) this.#runRow(options.parentRunId);
      const artifactUri = artifacts.appendToUri(experiment.artifact_location ?? artifacts.appendToUri(this.artifactRoot, String(experiment.experiment_id)), runId, 'artifacts');
      this.#sql(
        `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
           source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time)
         VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, '', 'active', ?, ?, NULL)`,
      ).run(runId, runName, tags['mlflow.user'] ?? 'unknown', startTime, artifactUri, experiment.experiment_id);
      const insertTag = this.#sql('INSERT INTO tags ("key", value, run_uuid) VALUES (?, ?, ?)');
      for (const [key, value] of Object.entries(tags)) insertTag.run(key, value, runId);
      return this.#toRun(this.#runRow(runId));
    });
  }

  async getRun(runId: string): Promise<Run> {
    return this.#read(() => this.#toRun(this.#runRow(runId)));
  }

  async updateRun(runId: string, options: UpdateRunOptions): Promise<void> {
    const { status, name, endTime } = options ?? {};
    if (status !== undefined && !RUN_STATUSES.includes(status)) {
      throw invalidParameter(`Invalid run status '${String(status)}': expected one of ${RUN_STATUSES.join(', ')}`);
    }
    if (endTime !== undefined && (!Number.isInteger(endTime) || endTime < 0)) throw invalidParameter(`Invalid end time ${endTime}: expected epoch milliseconds`);
    if (name !== undefined && typeof name !== 'string') throw invalidParameter(`Invalid run name ${String(name)}: expected a string`);
    await this.#write(() => {
      this.#requireActiveRun(runId);
      if (status !== undefined) this.#sql('UPDATE runs SET status = ? WHERE run_uuid = ?').run(status, runId);
      if (endTime !== undefined) this.#sql('UPDATE runs SET end_time = ? WHERE run_uuid = ?').run(endTime, runId);
      if (name) this.#setRunName(runId, name);
    });
  }

  #setRunName(runId: string, name: string): void {
    this.#sql('UPDATE runs SET name = ? WHERE run_uuid = ?').run(name, runId);
    this.#upsertTag(runId, 'mlflow.runName', name);
  }

  #upsertTag(runId: string, key: string, value: string): void {
    this.#sql('INSERT INTO tags ("key", value, run_uuid) VALUES (?, ?, ?) ON CONFLICT ("key", run_uuid) DO UPDATE SET value = excluded.value')
      .run(key, value, runId);
  }

  async setTerminated(runId: string, status: RunStatus = 'FINISHED', endTime: number = Date.now()): Promise<void> {
    await this.updateRun(runId, { status, endTime });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.#write(() => {
      this.#runRow(runId);
      this.#sql("UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? WHERE run_uuid = ?").run(Date.now(), runId);
    });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.#write(() => {
      this.#runRow(runId);
      this.#sql("UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL WHERE run_uuid = ?").run(runId);
    });
  }

  // ---------------------------------------------------------------- logging

  async logParam(runId: string, key: string, value: ParamValue): Promise<void> {
    const text = validateParam(key, paramValueToString(value));
    await this.#write(() => {
      this.#requireActiveRun(runId);
      const existing = this.#sql('SELECT value FROM params WHERE run_uuid = ? AND "key" = ?').get(runId, key) as { value: string } | undefined;
      if (existing) {
        if (existing.value !== text) {
          throw invalidParameter(
            `Changing param values is not allowed. Param with key='${key}' was already logged with value='${existing.value}' for run ID='${runId}'. Attempted logging new value '${text}'.`,
          );
        }
        return;
      }
      this.#sql('INSERT INTO params ("key", value, run_uuid) VALUES (?, ?, ?)').run(key, text, runId);
    });
  }

  async logMetric(runId: string, key: string, value: number, options: { timestamp?: number; step?: number } = {}): Promise<void> {
    const metric = { key, value, timestamp: options.timestamp ?? Date.now(), step: options.step ?? 0 };
    validateMetric(metric.key, metric.value, metric.timestamp, metric.step);
    await this.#write(() => {
      this.#requireActiveRun(runId);
      this.#insertMetrics(runId, [metric]);
    });
  }

  /**
   * Inserts metric points (exact duplicates are skipped, as MLflow does) and advances latest_metrics by
   * MLflow's rule: a point replaces the stored one only if its (step, timestamp, stored value) tuple is
   * strictly larger (NaN is stored as 0 and compares as 0). Applied point by point, in order, inside the
   * statement itself, so no read-compare-write round trip through JS.
   */
  #insertMetrics(runId: string, metrics: readonly Metric[]): void {
    const insert = this.#sql(INSERT_METRIC);
    const advanceLatest = this.#sql(ADVANCE_LATEST_METRIC);
    for (const m of metrics) {
      const isNan = Number.isNaN(m.value);
      const value = isNan ? 0 : encodeMetricValue(m.value);
      insert.run(m.key, value, m.timestamp, runId, m.step, isNan ? 1 : 0);
      advanceLatest.run(m.key, value, m.timestamp, m.step, isNan ? 1 : 0, runId);
    }
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    value = validateRunTag(key, value);
    await this.#write(() => {
      this.#requireActiveRun(runId);
      if (key === 'mlflow.runName') this.#setRunName(runId, value);
      else this.#upsertTag(runId, key, value);
    });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.#write(() => {
      this.#requireActiveRun(runId);
      const info = this.#sql('DELETE FROM tags WHERE run_uuid = ? AND "key" = ?').run(runId, key);
      if (info.changes === 0) throw notFound(`No tag with name: ${key} in run with id ${runId}`);
    });
  }

  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    validateRunId(runId);
    const metrics: Metric[] = (batch.metrics ?? []).map((m) => ({ key: m.key, value: m.value, timestamp: m.timestamp ?? Date.now(), step: m.step ?? 0 }));
    metrics.forEach((m, i) => validateMetric(m.key, m.value, m.timestamp, m.step, `metrics[${i}]`));
    const params = (batch.params ?? []).map((p, i) => ({ key: p.key, value: validateParam(p.key, paramValueToString(p.value), `params[${i}]`) }));
    const tags = (batch.tags ?? []).map((t, i) => ({ key: t.key, value: validateRunTag(t.key, t.value, `tags[${i}]`) }));
    validateBatchLimits(metrics.length, params.length, tags.length);
    const keys = params.map((p) => p.key);
    const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (dupes.length > 0) {
      throw invalidParameter(
        `Duplicate parameter keys have been submitted: [${dupes.map((d) => `'${d}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`,
      );
    }
    await this.#write(() => {
      this.#requireActiveRun(runId);
      if (params.length > 0) {
        const existing = new Map(
          (this.#sql('SELECT "key", value FROM params WHERE run_uuid = ?').all(runId) as { key: string; value: string }[]).map((p) => [p.key, p.value]),
        );
        const conflicts = params.filter((p) => existing.has(p.key) && existing.get(p.key) !== p.value);
        if (conflicts.length > 0) {
          const listing = conflicts.map((p) => `{'key': '${p.key}', 'old_value': '${existing.get(p.key)}', 'new_value': '${p.value}'}`).join(', ');
          throw invalidParameter(`Changing param values is not allowed. Params were already logged='[${listing}]' for run ID='${runId}'.`);
        }
        const insert = this.#sql('INSERT INTO params ("key", value, run_uuid) VALUES (?, ?, ?)');
        for (const p of params) if (!existing.has(p.key)) insert.run(p.key, p.value, runId);
      }
      if (metrics.length > 0) this.#insertMetrics(runId, metrics);
      for (const t of tags) {
        if (t.key === 'mlflow.runName') this.#setRunName(runId, t.value);
        else this.#upsertTag(runId, t.key, t.value);
      }
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    return this.#read(() => {
      this.#runRow(runId);
      const rows = this.#sql('SELECT "key", value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND "key" = ? ORDER BY timestamp, step, value')
        .all(runId, key) as { key: string; value: number; timestamp: number; step: number; is_nan: number }[];
      return rows.map((r) => ({ key: r.key, value: decodeMetricValue(r.value, r.is_nan), timestamp: r.timestamp, step: r.step }));
    });
  }

  async searchRuns(experimentIds: string[], options: SearchRunsOptions = {}): Promise<Page & { runs: Run[] }> {
    if (!Array.isArray(experimentIds)) throw invalidParameter('searchRuns: experimentIds must be an array of experiment ids');
    const ids = experimentIds.map((id) => validateExperimentId(id));
    const maxResults = validateMaxResults(options.maxResults ?? DEFAULT_MAX_RESULTS);
    const offset = parsePageToken(options.pageToken);
    const query = buildRunSearch({
      experimentIds: ids,
      filterString: options.filterString,
      viewType: options.runViewType as ViewType | undefined,
      orderBy: options.orderBy,
      limit: maxResults + 1,
      offset,
    });
    return this.#read(() => {
      const rows = this.#db.prepare(query.sql).all(...query.params) as { run_uuid: string }[];
      const runs = rows.slice(0, maxResults).map((r) => this.#toRun(this.#runRow(r.run_uuid)));
      return rows.length > maxResults ? { runs, nextPageToken: createPageToken(offset + maxResults) } : { runs };
    });
  }

  // ---------------------------------------------------------------- artifacts and inputs

  async #artifactUri(runId: string): Promise<string> {
    return this.#read(() => {
      const row = this.#runRow(runId);
      if (!row.artifact_uri) throw new StoreError(`Run ${runId} has no artifact URI`, 'INVALID_STATE');
      return row.artifact_uri;
    });
  }

  async logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    artifacts.logArtifact(await this.#artifactUri(runId), localPath, artifactPath);
  }

  async logArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void> {
    artifacts.logArtifacts(await this.#artifactUri(runId), localDir, artifactPath);
  }

  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    return artifacts.listArtifacts(await this.#artifactUri(runId), path);
  }

  async downloadArtifacts(runId: string, path: string, dstPath?: string): Promise<string> {
    if (dstPath !== undefined && existsSync(dstPath) && !statSync(dstPath).isDirectory()) {
      throw invalidParameter(`downloadArtifacts: destination '${dstPath}' is a file, expected a directory`);
    }
    return artifacts.downloadArtifacts(await this.#artifactUri(runId), path, dstPath);
  }

  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    if (!Array.isArray(datasets)) throw invalidParameter('logInputs: datasets must be an array of {dataset, tags}');
    datasets.forEach((input, i) => {
      const d = input?.dataset;
      if (!d) throw invalidParameter(`datasets[${i}]: Dataset input must have a dataset associated with it.`);
      for (const field of ['name', 'digest', 'sourceType', 'source'] as const) {
        if (typeof d[field] !== 'string') throw invalidParameter(`datasets[${i}].dataset.${field} must be a string`);
      }
      validateLength('dataset name', MAX_DATASET_NAME_SIZE, d.name);
      validateLength('dataset digest', MAX_DATASET_DIGEST_SIZE, d.digest);
      for (const tag of input.tags ?? []) {
        validateLength('input tag key', MAX_INPUT_TAG_KEY_SIZE, tag.key);
        validateLength('input tag value', MAX_INPUT_TAG_VALUE_SIZE, tag.value);
      }
    });
    await this.#write(() => {
      const run = this.#activeRunRow(runId);
      const seen = new Set<string>();
      const findDataset = this.#sql('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?');
      const insertDataset = this.#sql(
        `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const findInput = this.#sql(
        "SELECT input_uuid FROM inputs WHERE source_type = 'DATASET' AND source_id = ? AND destination_type = 'RUN' AND destination_id = ?",
      );
      const insertInput = this.#sql(
        "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, 'DATASET', ?, 'RUN', ?, 0)",
      );
      const insertTag = this.#sql('INSERT INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)');
      for (const { dataset: d, tags } of datasets) {
        const id = `${d.name}\u0000${d.digest}`;
        if (seen.has(id)) continue; // first occurrence wins, as in MLflow
        seen.add(id);
        let datasetUuid = (findDataset.get(run.experiment_id, d.name, d.digest) as { dataset_uuid: string } | undefined)?.dataset_uuid;
        if (!datasetUuid) {
          datasetUuid = randomUUID().replace(/-/g, '');
          insertDataset.run(datasetUuid, run.experiment_id, d.name, d.digest, d.sourceType, d.source, d.schema ?? null, d.profile ?? null);
        }
        if (findInput.get(datasetUuid, runId)) continue;
        const inputUuid = randomUUID().replace(/-/g, '');
        insertInput.run(inputUuid, datasetUuid, runId);
        for (const tag of tags ?? []) insertTag.run(inputUuid, tag.key, tag.value);
      }
    });
  }

  // ---------------------------------------------------------------- model registry

  async createRegisteredModel(name: string, options: CreateRegisteredModelOptions = {}): Promise<RegisteredModel> {
    return this.#write(() => this.#registry.createRegisteredModel(name, options));
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.#read(() => this.#registry.getRegisteredModel(name));
  }

  async searchRegisteredModels(options: SearchRegisteredModelsOptions = {}): Promise<Page & { registeredModels: RegisteredModel[] }> {
    const maxResults = validateMaxResults(options.maxResults ?? 100, 1000);
    const offset = parsePageToken(options.pageToken);
    return this.#read(() => this.#registry.searchRegisteredModels(options, maxResults, offset));
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.#write(() => this.#registry.deleteRegisteredModel(name));
  }

  async createModelVersion(name: string, source: string, options: CreateModelVersionOptions = {}): Promise<ModelVersion> {
    return this.#write(() => {
      if (options.runId !== undefined) this.#runRow(options.runId);
      return this.#registry.createModelVersion(name, source, options);
    });
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.#read(() => this.#registry.getModelVersion(name, version));
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.#write(() => this.#registry.setRegisteredModelTag(name, key, value));
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.#write(() => this.#registry.setModelVersionTag(name, version, key, value));
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.#write(() => this.#registry.setRegisteredModelAlias(name, alias, version));
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    return this.#read(() => this.#registry.getModelVersionByAlias(name, alias));
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.#write(() => this.#registry.deleteRegisteredModelAlias(name, alias));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
