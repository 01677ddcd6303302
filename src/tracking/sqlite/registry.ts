/**
 * MLflow's model registry tables (registered models, versions, tags, aliases) in the default workspace.
 * Synchronous: the store wraps each call in its transaction.
 */
import { alreadyExists, invalidParameter, notFound } from '../errors.js';
import { buildRegisteredModelSearch, createPageToken } from '../search/sql.js';
import type { CreateModelVersionOptions, CreateRegisteredModelOptions, ModelVersion, Page, RegisteredModel, SearchRegisteredModelsOptions } from '../types.js';
import { MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH, validateAlias, validateLength, validateModelName, validateTag } from '../validation.js';
import type { Db } from './database.js';

const WORKSPACE = 'default';

interface ModelRow {
  name: string;
  creation_time: number | null;
  last_updated_time: number | null;
  description: string | null;
}

interface VersionRow {
  name: string;
  version: number;
  creation_time: number | null;
  last_updated_time: number | null;
  description: string | null;
  user_id: string | null;
  current_stage: string | null;
  source: string | null;
  run_id: string | null;
  status: string | null;
  status_message: string | null;
  run_link: string | null;
}

function parseVersion(version: string | number): number {
  const text = String(version);
  if (!/^\d+$/.test(text)) throw invalidParameter(`Parameter 'version' must be an integer, got '${text}'.`);
  return Number(text);
}

export class Registry {
  constructor(private readonly db: Db) {}

  #modelRow(name: string): ModelRow {
    validateModelName(name);
    const row = this.db.prepare('SELECT * FROM registered_models WHERE workspace = ? AND name = ?').get(WORKSPACE, name) as ModelRow | undefined;
    if (!row) throw notFound(`Registered Model with name=${name} not found`);
    return row;
  }

  #versionRow(name: string, version: string | number): VersionRow {
    const v = parseVersion(version);
    const row = this.db
      .prepare("SELECT * FROM model_versions WHERE workspace = ? AND name = ? AND version = ? AND current_stage != 'Deleted_Internal'")
      .get(WORKSPACE, name, v) as VersionRow | undefined;
    if (!row) throw notFound(`Model Version (name=${name}, version=${v}) not found`);
    return row;
  }

  #toVersion(row: VersionRow, withAliases = true): ModelVersion {
    const tags = this.db
      .prepare('SELECT "key", value FROM model_version_tags WHERE workspace = ? AND name = ? AND version = ?')
      .all(WORKSPACE, row.name, row.version) as { key: string; value: string | null }[];
    const aliases = withAliases
      ? (this.db
          .prepare('SELECT alias FROM registered_model_aliases WHERE workspace = ? AND name = ? AND version = ? ORDER BY alias')
          .all(WORKSPACE, row.name, row.version) as { alias: string }[])
      : [];
    return {
      name: row.name,
      version: String(row.version),
      creationTimestamp: row.creation_time ?? 0,
      lastUpdatedTimestamp: row.last_updated_time ?? 0,
      description: row.description ?? '',
      userId: row.user_id ?? '',
      currentStage: row.current_stage ?? 'None',
      source: row.source ?? '',
      runId: row.run_id ?? null,
      status: row.status ?? 'READY',
      statusMessage: row.status_message ?? null,
      runLink: row.run_link ?? null,
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])),
      aliases: aliases.map((a) => a.alias),
    };
  }

  #toModel(row: ModelRow): RegisteredModel {
    const tags = this.db.prepare('SELECT "key", value FROM registered_model_tags WHERE workspace = ? AND name = ?').all(WORKSPACE, row.name) as {
      key: string;
      value: string | null;
    }[];
    const aliases = this.db
      .prepare('SELECT alias, version FROM registered_model_aliases WHERE workspace = ? AND name = ? ORDER BY alias')
      .all(WORKSPACE, row.name) as { alias: string; version: number }[];
    // Newest version per stage, skipping soft-deleted ones (MLflow's latest_versions).
    const latest = this.db
      .prepare(
        `SELECT * FROM model_versions v WHERE v.workspace = ? AND v.name = ? AND v.current_stage != 'Deleted_Internal'
         AND v.version = (SELECT MAX(w.version) FROM model_versions w WHERE w.workspace = v.workspace AND w.name = v.name AND w.current_stage = v.current_stage)
         ORDER BY v.version`,
      )
      .all(WORKSPACE, row.name) as VersionRow[];
    return {
      name: row.name,
      creationTimestamp: row.creation_time ?? 0,
      lastUpdatedTimestamp: row.last_updated_time ?? 0,
      description: row.description ?? '',
      // MLflow leaves aliases empty on latest_versions (they are listed on the model); do the same so
      // both backends return identical objects.
      latestVersions: latest.map((v) => this.#toVersion(v, false)),
      tags: Object.fromEntries(tags.map((t) => [t.key, t.value ?? ''])),
      aliases: Object.fromEntries(aliases.map((a) => [a.alias, String(a.version)])),
    };
  }

  createRegisteredModel(name: string, options: CreateRegisteredModelOptions): RegisteredModel {
    validateModelName(name);
    const tags = Object.entries(options.tags ?? {});
    for (const [key, value] of tags) validateTag(key, value, '', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH);
    validateLength('description', 5000, options.description);
    if (this.db.prepare('SELECT 1 FROM registered_models WHERE workspace = ? AND name = ?').get(WORKSPACE, name)) {
      throw alreadyExists(`Registered Model (name=${name}) already exists.`);
    }
    const now = Date.now();
    this.db
      .prepare('INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace) VALUES (?, ?, ?, ?, ?)')
      .run(name, now, now, options.description ?? null, WORKSPACE);
    const insertTag = this.db.prepare('INSERT INTO registered_model_tags ("key", value, name, workspace) VALUES (?, ?, ?, ?)');
    for (const [key, value] of tags) insertTag.run(key, value, name, WORKSPACE);
    return this.getRegisteredModel(name);
  }

  getRegisteredModel(name: string): RegisteredModel {
    return this.#toModel(this.#modelRow(name));
  }

  searchRegisteredModels(options: SearchRegisteredModelsOptions, maxResults: number, offset: number): Page & { registeredModels: RegisteredModel[] } {
    const query = buildRegisteredModelSearch({ filterString: options.filterString, orderBy: options.orderBy, limit: maxResults + 1, offset });
    const rows = this.db.prepare(query.sql).all(...query.params) as { name: string }[];
    const registeredModels = rows.slice(0, maxResults).map((r) => this.getRegisteredModel(r.name));
    return rows.length > maxResults ? { registeredModels, nextPageToken: createPageToken(offset + maxResults) } : { registeredModels };
  }

  deleteRegisteredModel(name: string): void {
    this.#modelRow(name);
    // Children first: their foreign keys only cascade on update.
    for (const table of ['model_version_tags', 'registered_model_aliases', 'model_versions', 'registered_model_tags', 'registered_models']) {
      this.db.prepare(`DELETE FROM ${table} WHERE workspace = ? AND name = ?`).run(WORKSPACE, name);
    }
  }

  createModelVersion(name: string, source: string, options: CreateModelVersionOptions): ModelVersion {
    if (typeof source !== 'string' || source === '') throw invalidParameter("createModelVersion: 'source' must be a non-empty URI of the model files");
    const tags = Object.entries(options.tags ?? {});
    for (const [key, value] of tags) validateTag(key, value, '', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH);
    validateLength('source', 500, source);
    this.#modelRow(name);
    const now = Date.now();
    const max = this.db.prepare('SELECT MAX(version) AS v FROM model_versions WHERE workspace = ? AND name = ?').get(WORKSPACE, name) as { v: number | null };
    const version = (max.v ?? 0) + 1;
    this.db
      .prepare(
        `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id,
           status, status_message, run_link, storage_location, workspace)
         VALUES (?, ?, ?, ?, ?, NULL, 'None', ?, ?, 'READY', NULL, ?, ?, ?)`,
      )
      .run(name, version, now, now, options.description ?? null, source, options.runId ?? null, options.runLink ?? null, source, WORKSPACE);
    const insertTag = this.db.prepare('INSERT INTO model_version_tags ("key", value, name, version, workspace) VALUES (?, ?, ?, ?, ?)');
    for (const [key, value] of tags) insertTag.run(key, value, name, version, WORKSPACE);
    this.db.prepare('UPDATE registered_models SET last_updated_time = ? WHERE workspace = ? AND name = ?').run(now, WORKSPACE, name);
    return this.getModelVersion(name, String(version));
  }

  getModelVersion(name: string, version: string): ModelVersion {
    return this.#toVersion(this.#versionRow(name, version));
  }

  setRegisteredModelTag(name: string, key: string, value: string): void {
    validateTag(key, value, '', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH);
    this.#modelRow(name);
    this.db
      .prepare(
        'INSERT INTO registered_model_tags ("key", value, name, workspace) VALUES (?, ?, ?, ?) ON CONFLICT (workspace, "key", name) DO UPDATE SET value = excluded.value',
      )
      .run(key, value, name, WORKSPACE);
  }

  setModelVersionTag(name: string, version: string, key: string, value: string): void {
    validateTag(key, value, '', MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH);
    const row = this.#versionRow(name, version);
    this.db
      .prepare(
        'INSERT INTO model_version_tags ("key", value, name, version, workspace) VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace, "key", name, version) DO UPDATE SET value = excluded.value',
      )
      .run(key, value, name, row.version, WORKSPACE);
  }

  setRegisteredModelAlias(name: string, alias: string, version: string): void {
    validateAlias(alias);
    const row = this.#versionRow(name, version);
    this.db
      .prepare(
        'INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES (?, ?, ?, ?) ON CONFLICT (workspace, name, alias) DO UPDATE SET version = excluded.version',
      )
      .run(alias, row.version, name, WORKSPACE);
  }

  getModelVersionByAlias(name: string, alias: string): ModelVersion {
    this.#modelRow(name);
    const row = this.db.prepare('SELECT version FROM registered_model_aliases WHERE workspace = ? AND name = ? AND alias = ?').get(WORKSPACE, name, alias) as
      | { version: number }
      | undefined;
    if (!row) throw notFound(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, String(row.version));
  }

  deleteRegisteredModelAlias(name: string, alias: string): void {
    validateAlias(alias);
    this.#modelRow(name);
    this.db.prepare('DELETE FROM registered_model_aliases WHERE workspace = ? AND name = ? AND alias = ?').run(WORKSPACE, name, alias);
  }
}
