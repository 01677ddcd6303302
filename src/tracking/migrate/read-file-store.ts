/**
 * Reads an MLflow file store (`mlruns/`: one folder per experiment with meta.yaml, one per run with
 * meta.yaml, params/, metrics/, tags/, inputs/, artifacts/; deleted experiments under .trash/; the model
 * registry under models/) into the same snapshot the SQLite reader makes. Nothing is written.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isValidRunId } from '../validation.js';
import { refusedRunMessage, sourceError } from './read-sqlite.js';
import { locateArtifactDir } from './relocate.js';
import type {
  Lifecycle,
  Snapshot,
  SnapshotDataset,
  SnapshotExperiment,
  SnapshotInput,
  SnapshotMetric,
  SnapshotModelVersion,
  SnapshotRegisteredModel,
  SnapshotRun,
} from './types.js';

type Meta = Record<string, unknown>;

/** MLflow's RunStatus and SourceType enums as the file store writes them (ints), back to their names. */
const RUN_STATUS: Record<string, string> = { '1': 'RUNNING', '2': 'SCHEDULED', '3': 'FINISHED', '4': 'FAILED', '5': 'KILLED' };
const SOURCE_TYPE: Record<string, string> = { '1': 'NOTEBOOK', '2': 'JOB', '3': 'PROJECT', '4': 'LOCAL', '1000': 'UNKNOWN' };
const DBL_MAX = 1.7976931348623157e308;
const TRASH = '.trash';
const RESERVED = new Set([TRASH, 'models', '.mlflow']);

const str = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
const int = (v: unknown): number | null => (v === null || v === undefined || v === '' ? null : Number(v));
const lifecycle = (v: unknown): Lifecycle => (v === 'deleted' ? 'deleted' : 'active');

function readMeta(path: string): Meta {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw sourceError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw sourceError(`${path}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw sourceError(`${path}: expected a YAML mapping`);
  return doc as Meta;
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch (err) {
    throw sourceError(`${path}: cannot be listed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/** Files under `dir` keyed by their relative path with `/` (keys like `a/b` are stored as nested folders). */
function keyedFiles(dir: string): [string, string][] {
  if (!isDir(dir)) return [];
  const out: [string, string][] = [];
  const walk = (d: string): void => {
    for (const name of listDir(d)) {
      const full = join(d, name);
      if (isDir(full)) walk(full);
      else out.push([relative(dir, full).split(sep).join('/'), full]);
    }
  };
  walk(dir);
  return out;
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw sourceError(`${path}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
};

/** One metric line, `timestamp value [step]`, in the SQL store's encoding of NaN and ±Inf. */
function parseMetricLine(key: string, line: string, file: string, lineNo: number): SnapshotMetric {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || parts.length > 3) throw sourceError(`${file}:${lineNo}: expected 'timestamp value [step]', got '${line}'`);
  const timestamp = Number(parts[0]);
  const step = parts.length === 3 ? Number(parts[2]) : 0;
  const text = parts[1].toLowerCase();
  const value = text === 'nan' ? Number.NaN : text === 'inf' || text === '+inf' ? Infinity : text === '-inf' ? -Infinity : Number(parts[1]);
  if (!Number.isInteger(timestamp) || !Number.isInteger(step) || (Number.isNaN(value) && text !== 'nan')) {
    throw sourceError(`${file}:${lineNo}: malformed metric line '${line}'`);
  }
  if (Number.isNaN(value)) return { key, value: 0, timestamp, step, isNan: 1 };
  const stored = value === Infinity ? DBL_MAX : value === -Infinity ? -DBL_MAX : value;
  return { key, value: stored, timestamp, step, isNan: 0 };
}

/** A folder is an experiment folder when its meta.yaml names an experiment. */
export function isExperimentDir(path: string): boolean {
  const meta = join(path, 'meta.yaml');
  if (!existsSync(meta)) return false;
  try {
    const doc = parseYaml(readFileSync(meta, 'utf8')) as Meta | null;
    return !!doc && typeof doc === 'object' && 'experiment_id' in doc && 'name' in doc && !('run_id' in doc) && !('run_uuid' in doc);
  } catch {
    return false;
  }
}

/** A file store root holds experiment folders (or only deleted ones under .trash/). */
export function isFileStoreRoot(path: string): boolean {
  if (!isDir(path)) return false;
  let names: string[];
  try {
    names = readdirSync(path);
  } catch {
    return false;
  }
  if (names.some((n) => !RESERVED.has(n) && isExperimentDir(join(path, n)))) return true;
  const trash = join(path, TRASH);
  return isDir(trash) && readdirSync(trash).some((n) => isExperimentDir(join(trash, n)));
}

function readRun(runDir: string, experimentSourceId: string, bases: string[]): { run: SnapshotRun; inputs: SnapshotInput[] } | string {
  const meta = readMeta(join(runDir, 'meta.yaml'));
  const runId = String(meta.run_id ?? meta.run_uuid ?? '');
  if (!isValidRunId(runId)) return `${join(runDir, 'meta.yaml')}: ${refusedRunMessage(runId)}`;
  const params = keyedFiles(join(runDir, 'params')).map(([k, f]) => [k, readText(f)] as [string, string]);
  const tags = keyedFiles(join(runDir, 'tags')).map(([k, f]) => [k, readText(f)] as [string, string | null]);
  const metrics: SnapshotMetric[] = [];
  for (const [key, file] of keyedFiles(join(runDir, 'metrics'))) {
    readText(file)
      .split('\n')
      .forEach((line, i) => {
        if (line.trim()) metrics.push(parseMetricLine(key, line, file, i + 1));
      });
  }
  const inputs: SnapshotInput[] = [];
  const inputsDir = join(runDir, 'inputs');
  if (isDir(inputsDir)) {
    for (const id of listDir(inputsDir)) {
      const m = readMeta(join(inputsDir, id, 'meta.yaml'));
      const tagMap = (m.tags ?? {}) as Record<string, unknown>;
      inputs.push({
        inputUuid: id,
        sourceType: String(m.source_type),
        sourceId: String(m.source_id),
        destinationType: String(m.destination_type ?? 'RUN'),
        destinationId: runId,
        step: Number(m.step ?? 0),
        tags: Object.entries(tagMap).map(([k, v]) => [k, String(v)] as [string, string]),
      });
    }
  }
  const artifactUri = str(meta.artifact_uri);
  const nameTag = tags.find(([k]) => k === 'mlflow.runName')?.[1] ?? null;
  const status = meta.status === undefined || meta.status === null ? null : (RUN_STATUS[String(meta.status)] ?? String(meta.status));
  const sourceType = meta.source_type === undefined ? null : (SOURCE_TYPE[String(meta.source_type)] ?? String(meta.source_type));
  const run: SnapshotRun = {
    runId,
    experimentSourceId,
    name: str(meta.run_name) ?? nameTag,
    sourceType,
    sourceName: str(meta.source_name) ?? '',
    entryPointName: str(meta.entry_point_name) ?? '',
    userId: str(meta.user_id),
    status,
    startTime: int(meta.start_time),
    endTime: int(meta.end_time),
    sourceVersion: str(meta.source_version) ?? '',
    lifecycleStage: lifecycle(meta.lifecycle_stage),
    artifactUri,
    deletedTime: int(meta.deleted_time),
    params,
    tags,
    metrics,
    latestMetrics: null,
    artifactDir: locateArtifactDir(artifactUri, runId, bases),
  };
  return { run, inputs };
}

function readRegistry(root: string): SnapshotRegisteredModel[] {
  const modelsDir = join(root, 'models');
  if (!isDir(modelsDir)) return [];
  const models: SnapshotRegisteredModel[] = [];
  for (const dirName of listDir(modelsDir)) {
    const dir = join(modelsDir, dirName);
    if (!existsSync(join(dir, 'meta.yaml'))) continue;
    const meta = readMeta(join(dir, 'meta.yaml'));
    const versions: SnapshotModelVersion[] = [];
    for (const v of listDir(dir).filter((n) => /^version-\d+$/.test(n))) {
      const vm = readMeta(join(dir, v, 'meta.yaml'));
      versions.push({
        version: Number(vm.version ?? v.slice(8)),
        creationTime: int(vm.creation_timestamp),
        lastUpdatedTime: int(vm.last_updated_timestamp),
        description: str(vm.description),
        userId: str(vm.user_id),
        currentStage: str(vm.current_stage),
        source: str(vm.source),
        runId: str(vm.run_id),
        status: str(vm.status),
        statusMessage: str(vm.status_message),
        runLink: str(vm.run_link),
        storageLocation: str(vm.storage_location),
        tags: keyedFiles(join(dir, v, 'tags')).map(([k, f]) => [k, readText(f)] as [string, string | null]),
      });
    }
    const aliases = new Map<string, number>();
    for (const [alias, version] of Object.entries((meta.aliases ?? {}) as Record<string, unknown>)) aliases.set(alias, Number(version));
    for (const [alias, file] of keyedFiles(join(dir, 'aliases'))) aliases.set(alias, Number(readText(file).trim()));
    models.push({
      name: String(meta.name ?? dirName),
      workspace: str(meta.workspace) ?? 'default',
      creationTime: int(meta.creation_timestamp),
      lastUpdatedTime: int(meta.last_updated_timestamp),
      description: str(meta.description),
      tags: keyedFiles(join(dir, 'tags')).map(([k, f]) => [k, readText(f)] as [string, string | null]),
      versions: versions.sort((a, b) => a.version - b.version),
      aliases: [...aliases],
    });
  }
  return models;
}

/** `ignore`: folders inside the store that belong to the migration itself (central artifacts, backups). */
export function readFileStore(root: string, ignore: string[] = []): Snapshot {
  if (!isDir(root)) throw sourceError(`${root}: not a folder`);
  const bases = [root, dirname(root)];
  const experiments: SnapshotExperiment[] = [];
  const runs: SnapshotRun[] = [];
  const datasets: SnapshotDataset[] = [];
  const inputs: SnapshotInput[] = [];
  const warnings: string[] = [];
  const refusedRuns: string[] = [];
  const experimentDirs: string[] = [];
  for (const name of listDir(root)) if (!RESERVED.has(name) && isDir(join(root, name))) experimentDirs.push(join(root, name));
  const trash = join(root, TRASH);
  if (isDir(trash)) for (const name of listDir(trash)) if (isDir(join(trash, name))) experimentDirs.push(join(trash, name));

  const ignored = new Set(ignore.map((p) => resolve(p)));
  for (const expDir of experimentDirs) {
    if (ignored.has(resolve(expDir))) continue;
    if (!existsSync(join(expDir, 'meta.yaml'))) {
      warnings.push(`${expDir}: skipped (no meta.yaml, not an experiment folder)`);
      continue;
    }
    const meta = readMeta(join(expDir, 'meta.yaml'));
    if (!('experiment_id' in meta) || !('name' in meta)) throw sourceError(`${join(expDir, 'meta.yaml')}: missing experiment_id or name`);
    const sourceId = String(meta.experiment_id);
    const inlineTags = (meta.tags && typeof meta.tags === 'object' && !Array.isArray(meta.tags) ? meta.tags : {}) as Record<string, unknown>;
    const tags = new Map<string, string | null>(Object.entries(inlineTags).map(([k, v]) => [k, v === null ? null : String(v)]));
    for (const [k, f] of keyedFiles(join(expDir, 'tags'))) tags.set(k, readText(f));
    experiments.push({
      sourceId,
      name: String(meta.name),
      workspace: str(meta.workspace) ?? 'default',
      artifactLocation: str(meta.artifact_location),
      // A folder under .trash/ is deleted whatever its meta.yaml says.
      lifecycleStage: expDir.startsWith(trash + sep) ? 'deleted' : lifecycle(meta.lifecycle_stage),
      creationTime: int(meta.creation_time),
      lastUpdateTime: int(meta.last_update_time),
      tags: [...tags],
    });
    for (const name of listDir(expDir)) {
      const runDir = join(expDir, name);
      if (name === 'tags' || name === 'datasets' || !isDir(runDir) || !existsSync(join(runDir, 'meta.yaml'))) continue;
      const read = readRun(runDir, sourceId, bases);
      if (typeof read === 'string') {
        refusedRuns.push(read);
        continue;
      }
      const { run, inputs: runInputs } = read;
      runs.push(run);
      inputs.push(...runInputs);
    }
    const datasetsDir = join(expDir, 'datasets');
    if (isDir(datasetsDir)) {
      for (const id of listDir(datasetsDir)) {
        const m = readMeta(join(datasetsDir, id, 'meta.yaml'));
        datasets.push({
          datasetUuid: id,
          experimentSourceId: sourceId,
          name: String(m.name),
          digest: String(m.digest),
          sourceType: String(m.source_type),
          source: String(m.source),
          schema: str(m.schema),
          profile: str(m.profile),
        });
      }
    }
  }
  return { ref: { kind: 'file', path: root }, experiments, runs, datasets, inputs, registeredModels: readRegistry(root), warnings, refusedRuns };
}
