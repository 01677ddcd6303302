/**
 * MLflow's input rules (mlflow/utils/validation.py of the pinned release), with its error wording, so a
 * value rejected by one backend is rejected by the other with the same message.
 */
import { posix } from 'node:path';
import { invalidParameter } from './errors.js';

export const MAX_ENTITY_KEY_LENGTH = 250;
export const MAX_PARAM_VAL_LENGTH = 6000;
export const MAX_TAG_VAL_LENGTH = 8000;
export const MAX_EXPERIMENT_NAME_LENGTH = 500;
export const MAX_EXPERIMENT_TAG_VAL_LENGTH = 20_000;
export const MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH = 100_000;
export const MAX_PARAMS_TAGS_PER_BATCH = 100;
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_ENTITIES_PER_BATCH = 1000;
export const MAX_RESULTS_LIMIT = 50_000;
export const MAX_DATASET_NAME_SIZE = 500;
export const MAX_DATASET_DIGEST_SIZE = 36;
export const MAX_INPUT_TAG_KEY_SIZE = 255;
export const MAX_INPUT_TAG_VALUE_SIZE = 500;

const KEY_CHARACTERS = /^[/\w.\- :]*$/u;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const ALIAS_CHARACTERS = /^[\w-]*$/;

/** Python's `json.dumps` for the values MLflow quotes in messages. */
const quote = (value: unknown): string => JSON.stringify(value ?? null);

export function invalidValue(path: string, value: unknown, message?: string) {
  return invalidParameter(
    message
      ? `Invalid value ${quote(value)} for parameter '${path}' supplied: ${message}`
      : `Invalid value ${quote(value)} for parameter '${path}' supplied.`,
  );
}

const BAD_CHARACTERS =
  'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';

/** Python's posixpath.normpath: like path.posix.normalize, but without a trailing slash. */
function normpath(name: string): string {
  const norm = posix.normalize(name);
  return norm.length > 1 && norm.endsWith('/') ? norm.slice(0, -1) : norm;
}

/** Keys are also file names in MLflow's file store: they must not normalise to another name. */
function pathNotUnique(name: string): boolean {
  const norm = normpath(name);
  return norm !== name || norm === '.' || norm.startsWith('..') || norm.startsWith('/');
}

function pythonRepr(s: string): string {
  return s.includes("'") && !s.includes('"') ? `"${s}"` : `'${s.replace(/'/g, "\\'")}'`;
}

/** Metric, param and tag keys: MLflow's character and path rules, then the length limit. */
export function validateKey(kind: 'Metric name' | 'Param key' | 'key', key: unknown, path: string): string {
  if (typeof key !== 'string') {
    if (key === undefined || key === null) throw invalidValue(path, '', 'A key name must be provided.');
    throw invalidValue(path, key, 'expected a string');
  }
  if (!KEY_CHARACTERS.test(key)) throw invalidValue(path, key, BAD_CHARACTERS);
  if (pathNotUnique(key)) {
    throw invalidValue(
      path,
      key,
      `Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to ${pythonRepr(normpath(key))}`,
    );
  }
  validateLength(kind === 'key' ? path : kind, MAX_ENTITY_KEY_LENGTH, key);
  return key;
}

export function validateLength(name: string, limit: number, value: string | undefined | null): void {
  if (value != null && value.length > limit) {
    throw invalidParameter(`'${name}' exceeds the maximum length of ${limit} characters`);
  }
}

/**
 * MLflow truncates over-long param and run-tag values (with a warning) unless MLFLOW_TRUNCATE_LONG_VALUES
 * is false, in which case it refuses them. Same here, so both clients store the same text.
 */
export function truncateLongValue(name: string, limit: number, value: string): string {
  if (value.length <= limit) return value;
  if (/^(false|0)$/i.test(process.env.MLFLOW_TRUNCATE_LONG_VALUES ?? '')) validateLength(name, limit, value);
  process.emitWarning(`${name} '${value.slice(0, 100)}...' (${value.length} characters) is truncated to ${limit} characters to meet the length limit.`);
  return value.slice(0, limit);
}

const joinPath = (base: string, leaf: string): string => (base ? `${base}.${leaf}` : leaf);

export function validateMetric(key: unknown, value: unknown, timestamp: unknown, step: unknown, path = ''): void {
  validateKey('Metric name', key, joinPath(path, 'name'));
  if (value === undefined || value === null) throw invalidParameter(`Missing value for required parameter '${joinPath(path, 'value')}'.`);
  if (typeof value !== 'number') {
    throw invalidValue(
      joinPath(path, 'value'),
      value,
      `(timestamp=${String(timestamp)}). Please specify value as a valid double (64-bit floating point)`,
    );
  }
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp < 0) {
    throw invalidValue(
      joinPath(path, 'timestamp'),
      timestamp,
      `metric '${String(key)}' (value=${value}). Timestamp must be a nonnegative long (64-bit integer) `,
    );
  }
  if (typeof step !== 'number' || !Number.isInteger(step)) {
    throw invalidValue(joinPath(path, 'step'), step, `metric '${String(key)}' (value=${value}). Step must be a valid long (64-bit integer).`);
  }
}

/** Returns the value to store (truncated like MLflow when too long). */
export function validateParam(key: unknown, value: string, path = ''): string {
  validateKey('Param key', key, joinPath(path, 'key'));
  return truncateLongValue('Param value', MAX_PARAM_VAL_LENGTH, value);
}

/** Run tags: returns the value to store (truncated like MLflow when too long). */
export function validateRunTag(key: unknown, value: unknown, path = ''): string {
  validateKey('key', key, joinPath(path, 'key'));
  if (typeof value !== 'string') throw invalidValue(joinPath(path, 'value'), value, 'expected a string');
  return truncateLongValue(joinPath(path, 'value'), MAX_TAG_VAL_LENGTH, value);
}

/** Experiment and registry tags: over-long values are refused (MLflow does not truncate these). */
export function validateTag(key: unknown, value: unknown, path = '', maxValueLength = MAX_TAG_VAL_LENGTH): void {
  validateKey('key', key, joinPath(path, 'key'));
  if (typeof value !== 'string') throw invalidValue(joinPath(path, 'value'), value, 'expected a string');
  validateLength(joinPath(path, 'value'), maxValueLength, value);
}

/** MLflow's run id rule: a letter or digit, then letters, digits, `_` or `-` (so never a path with `/` or `..`). */
export function isValidRunId(runId: unknown): runId is string {
  return typeof runId === 'string' && RUN_ID.test(runId);
}

export function validateRunId(runId: unknown): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw invalidValue('run_id', runId);
  return runId;
}

export function validateExperimentId(experimentId: unknown): number {
  const text = typeof experimentId === 'number' ? String(experimentId) : experimentId;
  if (typeof text !== 'string' || !/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw invalidParameter(`Invalid experiment ID '${String(experimentId)}'. Experiment ID must be a valid integer.`);
  }
  return Number(text);
}

export function validateExperimentName(name: unknown): string {
  if (name === '' || name === undefined || name === null) throw invalidParameter(`Invalid experiment name: '${String(name ?? 'None')}'`);
  if (typeof name !== 'string') throw invalidParameter(`Invalid experiment name: ${String(name)}. Expects a string.`);
  validateLength('name', MAX_EXPERIMENT_NAME_LENGTH, name);
  return name;
}

export function validateBatchLimits(metrics: number, params: number, tags: number): void {
  const check = (entity: string, limit: number, length: number) => {
    if (length > limit) {
      throw invalidParameter(
        `A batch logging request can contain at most ${limit} ${entity}. Got ${length} ${entity}. Please split up ${entity} across multiple requests and try again.`,
      );
    }
  };
  check('metrics', MAX_METRICS_PER_BATCH, metrics);
  check('params', MAX_PARAMS_TAGS_PER_BATCH, params);
  check('tags', MAX_PARAMS_TAGS_PER_BATCH, tags);
  check('metrics, params, and tags', MAX_ENTITIES_PER_BATCH, metrics + params + tags);
}

export function validateModelName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalidParameter('Registered model name cannot be empty.');
  return name;
}

export function validateAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS_CHARACTERS.test(alias)) {
    throw invalidValue('alias', alias, 'Names may only contain alphanumerics, underscores (_), and dashes (-).');
  }
  if (/^[vV]\d+$/.test(alias)) throw invalidParameter(`Invalid alias name: '${alias}'. Alias name cannot be in the format of 'v<number>'.`);
  if (alias.toLowerCase() === 'latest') throw invalidParameter(`'${alias}' alias name (case insensitive) is reserved.`);
  validateLength('alias', 255, alias);
  return alias;
}

export function validateMaxResults(maxResults: unknown, limit = MAX_RESULTS_LIMIT): number {
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults <= 0 || maxResults > limit) {
    throw invalidParameter(`Invalid value ${String(maxResults)} for parameter 'max_results' supplied. It must be a positive integer at most ${limit}.`);
  }
  return maxResults;
}
