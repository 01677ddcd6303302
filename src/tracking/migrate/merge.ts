/**
 * Writes one source snapshot into the central database. The caller runs `mergeSnapshot` inside one
 * transaction per source; anything that does not fit (a run id already used for other content, an
 * artifact that exists with other bytes) throws, so the whole source is rolled back.
 *
 * Rules (docs/migration.md explains them for users):
 * - experiments match by (workspace, name); a new one gets the next id and a folder under the central
 *   artifact root; a matched one keeps its id, location, lifecycle and tag values (a differing source tag
 *   value is reported as a conflict, missing tags are added);
 * - runs keep their ids; a run already present must be the same run (same experiment name, start time and
 *   params), and then only what it lacks is added;
 * - registered models match by name; versions match by (run id, creation time) and keep their number
 *   unless another version holds it, in which case they get the next free number.
 */
import type Database from 'better-sqlite3';
import { MigrateError } from '../../errors.js';
import { appendToUri } from '../sqlite/artifacts.js';
import { type CreatedFiles, copyArtifacts } from './copy-artifacts.js';
import { localPathOf } from './relocate.js';
import { emptyCounts, type Snapshot, type SnapshotMetric, type SnapshotRun, type SourceReport } from './types.js';

type Db = Database.Database;

/** A run that cannot be merged into the target as it is. */
const runClash = (message: string): MigrateError => new MigrateError(message, 'MIGRATE_RUN_CLASH');

export interface MergeContext {
  db: Db;
  /** Central artifact root (path or file: URI) for new experiments. */
  artifactRoot: string;
  created: CreatedFiles;
  dryRun: boolean;
}

/** The part of a source's report that merging fills in (see SourceReport for each field). */
export type MergeOutcome = Pick<SourceReport, 'added' | 'experimentsMatched' | 'runsSkipped' | 'runsCompleted' | 'conflicts' | 'warnings'>;

/** A merge that added nothing: where a merge starts, and what a source that failed before merging reports. */
export function emptyMergeOutcome(): MergeOutcome {
  return { added: emptyCounts(), experimentsMatched: [], runsSkipped: 0, runsCompleted: 0, conflicts: [], warnings: [] };
}

export interface MergeResult extends MergeOutcome {
  /** Source run id → the folder its artifacts were copied to (for verification). */
  artifactTargets: Map<string, string>;
}

interface TargetExperiment {
  experiment_id: number;
  name: string;
  artifact_location: string | null;
}

const same = (a: unknown, b: unknown): boolean => (a ?? null) === (b ?? null);

/** MLflow's latest-metric rule: the highest step, then the latest timestamp, then the largest value. */
function newer(a: SnapshotMetric, b: SnapshotMetric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

export function latestOf(metrics: SnapshotMetric[]): SnapshotMetric[] {
  const best = new Map<string, SnapshotMetric>();
  for (const m of metrics) {
    const cur = best.get(m.key);
    if (!cur || newer(m, cur)) best.set(m.key, m);
  }
  return [...best.values()];
}

export function mergeSnapshot(snapshot: Snapshot, ctx: MergeContext): MergeResult {
  const { db } = ctx;
  const result: MergeResult = { ...emptyMergeOutcome(), artifactTargets: new Map() };
  const q = {
    expByName: db.prepare('SELECT experiment_id, name, artifact_location FROM experiments WHERE workspace = ? AND name = ?'),
    expById: db.prepare('SELECT experiment_id, name, artifact_location FROM experiments WHERE experiment_id = ?'),
    insertExp: db.prepare(
      'INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    setExpLocation: db.prepare('UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?'),
    ensureWorkspace: db.prepare('INSERT OR IGNORE INTO workspaces (name, description) VALUES (?, ?)'),
    expTag: db.prepare('SELECT value FROM experiment_tags WHERE experiment_id = ? AND "key" = ?'),
    insertExpTag: db.prepare('INSERT INTO experiment_tags ("key", value, experiment_id) VALUES (?, ?, ?)'),
    run: db.prepare('SELECT run_uuid, experiment_id, start_time, artifact_uri FROM runs WHERE run_uuid = ?'),
    insertRun: db.prepare(
      `INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time,
        source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    param: db.prepare('SELECT value FROM params WHERE run_uuid = ? AND "key" = ?'),
    insertParam: db.prepare('INSERT INTO params ("key", value, run_uuid) VALUES (?, ?, ?)'),
    tag: db.prepare('SELECT value FROM tags WHERE run_uuid = ? AND "key" = ?'),
    insertTag: db.prepare('INSERT INTO tags ("key", value, run_uuid) VALUES (?, ?, ?)'),
    insertMetric: db.prepare('INSERT OR IGNORE INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)'),
    runMetrics: db.prepare('SELECT "key", value, timestamp, step, is_nan AS isNan FROM metrics WHERE run_uuid = ?'),
    upsertLatest: db.prepare(
      `INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT ("key", run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan`,
    ),
    dataset: db.prepare('SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?'),
    insertDataset: db.prepare(
      `INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertInput: db.prepare(
      'INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    insertInputTag: db.prepare('INSERT OR IGNORE INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)'),
    model: db.prepare('SELECT name FROM registered_models WHERE workspace = ? AND name = ?'),
    insertModel: db.prepare('INSERT INTO registered_models (name, creation_time, last_updated_time, description, workspace) VALUES (?, ?, ?, ?, ?)'),
    modelTag: db.prepare('SELECT value FROM registered_model_tags WHERE workspace = ? AND name = ? AND "key" = ?'),
    insertModelTag: db.prepare('INSERT INTO registered_model_tags ("key", value, name, workspace) VALUES (?, ?, ?, ?)'),
    versions: db.prepare('SELECT version, run_id, creation_time, source FROM model_versions WHERE workspace = ? AND name = ?'),
    insertVersion: db.prepare(
      `INSERT INTO model_versions (name, version, creation_time, last_updated_time, description, user_id, current_stage, source, run_id,
        status, status_message, run_link, storage_location, workspace) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertVersionTag: db.prepare('INSERT OR IGNORE INTO model_version_tags ("key", value, name, version, workspace) VALUES (?, ?, ?, ?, ?)'),
    alias: db.prepare('SELECT version FROM registered_model_aliases WHERE workspace = ? AND name = ? AND alias = ?'),
    insertAlias: db.prepare('INSERT INTO registered_model_aliases (alias, version, name, workspace) VALUES (?, ?, ?, ?)'),
  };

  // ------------------------------------------------------------ experiments
  const experimentIds = new Map<string, TargetExperiment>();
  for (const exp of snapshot.experiments) {
    let target = q.expByName.get(exp.workspace, exp.name) as TargetExperiment | undefined;
    if (target) {
      result.experimentsMatched.push(exp.name);
      for (const [key, value] of exp.tags) {
        const cur = q.expTag.get(target.experiment_id, key) as { value: string | null } | undefined;
        if (!cur) {
          q.insertExpTag.run(key, value, target.experiment_id);
          result.added.tags++;
        } else if (!same(cur.value, value)) {
          result.conflicts.push(`experiment '${exp.name}': tag ${key} (target '${cur.value}', source '${value}')`);
        }
      }
    } else {
      if (exp.workspace !== 'default') q.ensureWorkspace.run(exp.workspace, `created by mlx-train migrate from ${snapshot.ref.path}`);
      const info = q.insertExp.run(exp.name, null, exp.lifecycleStage, exp.creationTime, exp.lastUpdateTime, exp.workspace);
      const id = Number(info.lastInsertRowid);
      q.setExpLocation.run(appendToUri(ctx.artifactRoot, String(id)), id);
      for (const [key, value] of exp.tags) {
        q.insertExpTag.run(key, value, id);
        result.added.tags++;
      }
      target = q.expById.get(id) as TargetExperiment;
      result.added.experiments++;
    }
    experimentIds.set(exp.sourceId, target);
  }

  // ------------------------------------------------------------ runs
  const runArtifactUris = new Map<string, { from: string | null; to: string | null }>();
  const snapshotRunIds = new Set(snapshot.runs.map((r) => r.runId));
  for (const run of snapshot.runs) {
    const exp = experimentIds.get(run.experimentSourceId);
    if (!exp) throw runClash(`run ${run.runId}: its experiment id ${run.experimentSourceId} is not in the source`);
    const existing = q.run.get(run.runId) as { experiment_id: number; start_time: number | null; artifact_uri: string | null } | undefined;
    let added = 0;
    let artifactUri: string | null;
    if (existing) {
      checkSameRun(run, existing, exp, q.expById, q.param);
      artifactUri = existing.artifact_uri;
    } else {
      artifactUri = centralArtifactUri(run, exp, result.warnings);
      q.insertRun.run(
        run.runId,
        run.name,
        run.sourceType,
        run.sourceName,
        run.entryPointName,
        run.userId,
        run.status,
        run.startTime,
        run.endTime,
        run.sourceVersion,
        run.lifecycleStage,
        artifactUri,
        exp.experiment_id,
        run.deletedTime,
      );
      result.added.runs++;
    }
    runArtifactUris.set(run.runId, { from: run.artifactUri, to: artifactUri });

    for (const [key, value] of run.params) {
      if (!q.param.get(run.runId, key)) {
        q.insertParam.run(key, value, run.runId);
        result.added.params++;
        added++;
      }
    }
    for (const [key, value] of run.tags) {
      const cur = q.tag.get(run.runId, key) as { value: string | null } | undefined;
      if (!cur) {
        q.insertTag.run(key, value, run.runId);
        result.added.tags++;
        added++;
      } else if (!same(cur.value, value)) {
        result.conflicts.push(`run ${run.runId}: tag ${key} (target '${cur.value}', source '${value}')`);
      }
    }
    let newMetrics = 0;
    for (const m of run.metrics) newMetrics += q.insertMetric.run(m.key, m.value, m.timestamp, run.runId, m.step, m.isNan).changes;
    result.added.metricRows += newMetrics;
    added += newMetrics;
    if (!existing && run.latestMetrics) {
      for (const m of run.latestMetrics) q.upsertLatest.run(m.key, m.value, m.timestamp, m.step, m.isNan, run.runId);
    } else if (!existing || newMetrics > 0) {
      // A file store keeps no latest values, and a completed run's latest may have moved: derive them.
      const all = q.runMetrics.all(run.runId) as SnapshotMetric[];
      for (const m of latestOf(all)) q.upsertLatest.run(m.key, m.value, m.timestamp, m.step, m.isNan, run.runId);
    }

    if (run.artifactDir && artifactUri) {
      const dest = localPathOf(artifactUri);
      if (dest) {
        try {
          const copy = copyArtifacts(run.artifactDir, dest, ctx.created, ctx.dryRun);
          result.added.artifactFiles += copy.copied;
          added += copy.copied;
          result.artifactTargets.set(run.runId, dest);
          for (const link of copy.skippedLinks) {
            result.warnings.push(`run ${run.runId}: artifact '${link}' is a symbolic link and was not copied (links could reach outside the artifact root; copy its target in as a file if it is needed)`);
          }
        } catch (err) {
          if (err instanceof MigrateError && err.code === 'MIGRATE_ARTIFACT_CLASH') throw runClash(`run ${run.runId}: ${err.message}`);
          throw err;
        }
      }
    } else if (run.artifactUri && !localPathOf(run.artifactUri)) {
      result.warnings.push(`run ${run.runId}: artifacts at ${run.artifactUri} are remote and were not copied (the URI is kept)`);
    }
    if (existing) {
      if (added > 0) result.runsCompleted++;
      else result.runsSkipped++;
    }
  }

  // ------------------------------------------------------------ datasets and inputs
  const datasetIds = new Map<string, string>();
  for (const ds of snapshot.datasets) {
    const exp = experimentIds.get(ds.experimentSourceId);
    if (!exp) continue;
    const cur = q.dataset.get(exp.experiment_id, ds.name, ds.digest) as { dataset_uuid: string } | undefined;
    if (cur) {
      datasetIds.set(ds.datasetUuid, cur.dataset_uuid);
      continue;
    }
    q.insertDataset.run(ds.datasetUuid, exp.experiment_id, ds.name, ds.digest, ds.sourceType, ds.source, ds.schema, ds.profile);
    datasetIds.set(ds.datasetUuid, ds.datasetUuid);
    result.added.datasets++;
  }
  let skippedInputs = 0;
  for (const input of snapshot.inputs) {
    const sourceId = input.sourceType === 'DATASET' ? datasetIds.get(input.sourceId) : undefined;
    if (input.destinationType !== 'RUN' || !snapshotRunIds.has(input.destinationId) || !sourceId) {
      skippedInputs++;
      continue;
    }
    const info = q.insertInput.run(input.inputUuid, input.sourceType, sourceId, input.destinationType, input.destinationId, input.step);
    if (info.changes === 0) continue;
    result.added.inputs++;
    for (const [name, value] of input.tags) q.insertInputTag.run(input.inputUuid, name, value);
  }
  if (skippedInputs > 0) result.warnings.push(`${skippedInputs} inputs not migrated (not a dataset logged to a run of this source)`);

  // ------------------------------------------------------------ model registry
  for (const model of snapshot.registeredModels) {
    const ws = model.workspace;
    if (!q.model.get(ws, model.name)) {
      q.insertModel.run(model.name, model.creationTime, model.lastUpdatedTime, model.description, ws);
      result.added.registeredModels++;
    }
    for (const [key, value] of model.tags) {
      const cur = q.modelTag.get(ws, model.name, key) as { value: string | null } | undefined;
      if (!cur) {
        q.insertModelTag.run(key, value, model.name, ws);
        result.added.tags++;
      } else if (!same(cur.value, value)) {
        result.conflicts.push(`registered model '${model.name}': tag ${key} (target '${cur.value}', source '${value}')`);
      }
    }
    const versionMap = new Map<number, number>();
    for (const v of model.versions) {
      const source = rewriteUri(v.source, v.runId, runArtifactUris);
      const storage = rewriteUri(v.storageLocation, v.runId, runArtifactUris);
      const existing = q.versions.all(ws, model.name) as { version: number; run_id: string | null; creation_time: number | null; source: string | null }[];
      const match = existing.find((e) => same(e.run_id, v.runId) && same(e.creation_time, v.creationTime) && same(e.source, source));
      let number: number;
      if (match) {
        number = match.version;
      } else {
        const taken = new Set(existing.map((e) => e.version));
        number = taken.has(v.version) ? Math.max(0, ...taken) + 1 : v.version;
        if (number !== v.version) result.warnings.push(`registered model '${model.name}': version ${v.version} stored as version ${number} (number taken in the target)`);
        q.insertVersion.run(
          model.name,
          number,
          v.creationTime,
          v.lastUpdatedTime,
          v.description,
          v.userId,
          v.currentStage,
          source,
          v.runId,
          v.status,
          v.statusMessage,
          v.runLink,
          storage,
          ws,
        );
        result.added.modelVersions++;
      }
      versionMap.set(v.version, number);
      for (const [key, value] of v.tags) {
        result.added.tags += q.insertVersionTag.run(key, value, model.name, number, ws).changes;
      }
    }
    for (const [alias, version] of model.aliases) {
      const mapped = versionMap.get(version);
      if (mapped === undefined) continue;
      const cur = q.alias.get(ws, model.name, alias) as { version: number } | undefined;
      if (!cur) q.insertAlias.run(alias, mapped, model.name, ws);
      else if (cur.version !== mapped) {
        result.conflicts.push(`registered model '${model.name}': alias ${alias} (target version ${cur.version}, source version ${mapped})`);
      }
    }
  }
  return result;
}

/** `<experiment location>/<run id>/artifacts`, MLflow's layout, when the experiment's location is local. */
function centralArtifactUri(run: SnapshotRun, exp: TargetExperiment, warnings: string[]): string | null {
  if (run.artifactUri && !localPathOf(run.artifactUri)) return run.artifactUri;
  if (!exp.artifact_location || !localPathOf(exp.artifact_location)) {
    warnings.push(`run ${run.runId}: experiment '${exp.name}' keeps artifacts at ${exp.artifact_location}, not local; URI kept, files not copied`);
    return run.artifactUri;
  }
  return appendToUri(exp.artifact_location, run.runId, 'artifacts');
}

/**
 * A model version source under a migrated run's old artifact URI moves with that run's artifacts. The
 * version's own run is tried first; a source may also point into another run of the same store.
 */
function rewriteUri(uri: string | null, runId: string | null, runs: Map<string, { from: string | null; to: string | null }>): string | null {
  if (!uri) return uri;
  const own = runId ? runs.get(runId) : undefined;
  for (const run of own ? [own, ...runs.values()] : runs.values()) {
    if (!run.from || !run.to) continue;
    const from = run.from.replace(/\/+$/, '');
    if (uri === from) return run.to;
    if (uri.startsWith(`${from}/`)) return run.to.replace(/\/+$/, '') + uri.slice(from.length);
  }
  return uri;
}

function checkSameRun(
  run: SnapshotRun,
  existing: { experiment_id: number; start_time: number | null },
  exp: TargetExperiment,
  expById: Database.Statement,
  param: Database.Statement,
): void {
  const problems: string[] = [];
  if (existing.experiment_id !== exp.experiment_id) {
    const other = expById.get(existing.experiment_id) as TargetExperiment | undefined;
    problems.push(`experiment '${other?.name ?? existing.experiment_id}' in the target, '${exp.name}' in the source`);
  }
  if (existing.start_time !== null && run.startTime !== null && existing.start_time !== run.startTime) {
    problems.push(`start time ${existing.start_time} in the target, ${run.startTime} in the source`);
  }
  for (const [key, value] of run.params) {
    const cur = param.get(run.runId, key) as { value: string } | undefined;
    if (cur && cur.value !== value) problems.push(`param ${key} is '${cur.value}' in the target, '${value}' in the source`);
  }
  if (problems.length) {
    throw runClash(`run id ${run.runId} is already in the target with different content: ${problems.join('; ')}`);
  }
}
