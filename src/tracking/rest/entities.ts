// MLflow REST JSON (protobuf JSON mapping, snake_case) ↔ the store's entities. The Python server may send
// int64 fields as strings and non-finite doubles as "NaN"/"Infinity"; requests must send those spellings
// too, because JSON has no NaN.
import type {
  DatasetInput,
  Experiment,
  FileInfo,
  LifecycleStage,
  Metric,
  ModelVersion,
  RegisteredModel,
  Run,
  RunInfo,
  RunStatus,
} from '../types.js';

export interface KeyValueJson {
  key?: string;
  value?: string;
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** int64 / double from protobuf JSON: number, numeric string, or one of the non-finite spellings. */
export function toNumber(value: unknown, fallback = 0): number {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

/** A double for a request body: finite numbers as is, the rest as protobuf JSON spells them. */
export function doubleToJson(value: number): number | string {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

export function tagsToRecord(tags: KeyValueJson[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of tags ?? []) if (tag.key !== undefined) out[tag.key] = tag.value ?? '';
  return out;
}

export function recordToTags(tags: Record<string, string> | undefined): KeyValueJson[] | undefined {
  if (!tags) return undefined;
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export function experimentFromJson(json: Json): Experiment {
  return {
    experimentId: String(json.experiment_id),
    name: json.name ?? '',
    artifactLocation: json.artifact_location ?? '',
    lifecycleStage: (json.lifecycle_stage ?? 'active') as LifecycleStage,
    tags: tagsToRecord(json.tags),
    creationTime: toNumber(json.creation_time),
    lastUpdateTime: toNumber(json.last_update_time),
  };
}

export function runInfoFromJson(json: Json): RunInfo {
  return {
    runId: json.run_id ?? json.run_uuid,
    runName: json.run_name ?? '',
    experimentId: String(json.experiment_id),
    userId: json.user_id ?? '',
    status: (json.status ?? 'RUNNING') as RunStatus,
    startTime: toNumber(json.start_time),
    endTime: json.end_time === undefined || json.end_time === null ? null : toNumber(json.end_time),
    artifactUri: json.artifact_uri ?? '',
    lifecycleStage: (json.lifecycle_stage ?? 'active') as LifecycleStage,
  };
}

export function runFromJson(json: Json): Run {
  const data = json.data ?? {};
  const metrics: Record<string, number> = {};
  for (const m of data.metrics ?? []) metrics[m.key] = toNumber(m.value);
  const params: Record<string, string> = {};
  for (const p of data.params ?? []) params[p.key] = p.value ?? '';
  return {
    info: runInfoFromJson(json.info ?? {}),
    data: { metrics, params, tags: tagsToRecord(data.tags) },
    inputs: { datasetInputs: (json.inputs?.dataset_inputs ?? []).map(datasetInputFromJson) },
  };
}

function datasetInputFromJson(json: Json): DatasetInput {
  const d = json.dataset ?? {};
  return {
    dataset: {
      name: d.name ?? '',
      digest: d.digest ?? '',
      sourceType: d.source_type ?? '',
      source: d.source ?? '',
      ...(d.schema !== undefined && d.schema !== '' ? { schema: d.schema } : {}),
      ...(d.profile !== undefined && d.profile !== '' ? { profile: d.profile } : {}),
    },
    tags: (json.tags ?? []).map((t: KeyValueJson) => ({ key: t.key ?? '', value: t.value ?? '' })),
  };
}

export function datasetInputToJson(input: DatasetInput): Json {
  const d = input.dataset;
  return {
    tags: input.tags.map((t) => ({ key: t.key, value: t.value })),
    dataset: {
      name: d.name,
      digest: d.digest,
      source_type: d.sourceType,
      source: d.source,
      ...(d.schema !== undefined ? { schema: d.schema } : {}),
      ...(d.profile !== undefined ? { profile: d.profile } : {}),
    },
  };
}

export function metricFromJson(json: Json): Metric {
  return { key: json.key, value: toNumber(json.value), timestamp: toNumber(json.timestamp), step: toNumber(json.step) };
}

export function fileInfoFromJson(json: Json, parent: string): FileInfo {
  // Both artifact listing endpoints report paths relative to the run's artifact root.
  const path = typeof json.path === 'string' ? json.path : '';
  const full = parent && !path.startsWith(`${parent}/`) && path !== parent ? `${parent}/${path}` : path;
  return {
    path: full,
    isDir: json.is_dir === true,
    ...(json.is_dir === true ? {} : { fileSize: toNumber(json.file_size) }),
  };
}

export function modelVersionFromJson(json: Json): ModelVersion {
  return {
    name: json.name,
    version: String(json.version),
    creationTimestamp: toNumber(json.creation_timestamp),
    lastUpdatedTimestamp: toNumber(json.last_updated_timestamp),
    description: json.description ?? '',
    userId: json.user_id ?? '',
    currentStage: json.current_stage ?? 'None',
    source: json.source ?? '',
    runId: json.run_id || null,
    status: json.status ?? 'READY',
    statusMessage: json.status_message || null,
    runLink: json.run_link || null,
    tags: tagsToRecord(json.tags),
    aliases: json.aliases ?? [],
  };
}

export function registeredModelFromJson(json: Json): RegisteredModel {
  const aliases: Record<string, string> = {};
  for (const a of json.aliases ?? []) aliases[a.alias] = String(a.version);
  return {
    name: json.name,
    creationTimestamp: toNumber(json.creation_timestamp),
    lastUpdatedTimestamp: toNumber(json.last_updated_timestamp),
    description: json.description ?? '',
    latestVersions: (json.latest_versions ?? []).map(modelVersionFromJson),
    tags: tagsToRecord(json.tags),
    aliases,
  };
}
