/**
 * Resolves a TrainingConfig from layers, lowest first: schema defaults < preset < config file (which
 * may `extends` a preset or another file) < MLX_TRAIN_* / MLFLOW_TRACKING_URI env vars < `--set` flags.
 * Every error names the key path, the value, where it came from (file:line:col, env var or flag) and,
 * for typos, the closest valid key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import { isMap, isScalar, LineCounter, parse as parseYamlValue, parseDocument, stringify, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, describeValue } from '../errors.js';
import { resolveTrackingUri } from '../tracking/uri.js';
import { type TrainingConfig, TrainingConfigSchema } from './schema.js';

export const PRESETS = ['quick', 'standard', 'production'] as const;
export type PresetName = (typeof PRESETS)[number];
export const presetsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'configs');

/** Env vars of our own that are not config keys (build, tests, tooling). */
const RESERVED_ENV = new Set(['MLX_TRAIN_VENV', 'MLX_TRAIN_BUILD_FROM_SOURCE', 'MLX_TRAIN_OPENBLAS_DIR', 'MLX_TRAIN_TEST_PYTHON', 'MLX_TRAIN_DEBUG', 'MLX_TRAIN_DIST_TIMEOUT_MS', 'MLX_TRAIN_FUSED']);

type Plain = Record<string, unknown>;
/** Where each dotted key path got its value, for error messages. */
type Sources = Map<string, string>;

export interface ResolveOptions {
  preset?: string;
  /** Path of a YAML config file. */
  file?: string;
  /** `key.path=value` overrides, as given to `--set`. */
  set?: string[];
  /** Environment to read MLX_TRAIN_* and MLFLOW_TRACKING_URI from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Plain object layered above the file and below env/flags (library use). */
  overrides?: Plain;
  /**
   * Typed values of dedicated CLI flags (`-e`, `--output-dir`, `--no-track`, `--batch-size`), applied last,
   * as given: never re-read as YAML, and an error names `flag`, the option the user typed.
   */
  flags?: FlagOverride[];
}

/** One dedicated flag's value for one config key, e.g. `{ path: 'tracking.experimentName', value: '2024', flag: '-e/--experiment 2024' }`. */
export interface FlagOverride {
  path: string;
  value: unknown;
  flag: string;
}

export interface ResolvedConfig {
  config: TrainingConfig;
  /** The layers that were applied, in order, for logging. */
  layers: string[];
}

// ---- schema introspection -------------------------------------------------------------------------

type AnySchema = z.ZodType;

function unwrap(schema: AnySchema): AnySchema {
  let s = schema as AnySchema & { _zod: { def: { type: string; innerType?: AnySchema } } };
  while (['default', 'optional', 'nullable', 'prefault'].includes(s._zod.def.type) && s._zod.def.innerType) {
    s = s._zod.def.innerType as typeof s;
  }
  return s;
}

function objectShape(schema: AnySchema): Record<string, AnySchema> | undefined {
  const s = unwrap(schema) as AnySchema & { _zod: { def: { type: string; shape?: Record<string, AnySchema> } } };
  return s._zod.def.type === 'object' ? s._zod.def.shape : undefined;
}

/** The schema at a dotted path, or undefined if no such key exists. */
function schemaAt(path: string[]): AnySchema | undefined {
  let s: AnySchema | undefined = TrainingConfigSchema;
  for (const key of path) {
    if (!s) return undefined;
    const u = unwrap(s) as AnySchema & { _zod: { def: { type: string; valueType?: AnySchema } } };
    if (u._zod.def.type === 'record') {
      s = u._zod.def.valueType;
      continue;
    }
    s = objectShape(s)?.[key];
  }
  return s;
}

/** Whether the key at `path` holds a string (so a YAML mapping or list there is a quoting mistake). */
function expectsString(path: string[]): boolean {
  const s = schemaAt(path);
  return !!s && (unwrap(s) as AnySchema & { _zod: { def: { type: string } } })._zod.def.type === 'string';
}

/** Every leaf key path of the schema (objects descended, records and arrays are leaves). */
export function leafPaths(schema: AnySchema = TrainingConfigSchema, prefix: string[] = []): string[][] {
  const shape = objectShape(schema);
  if (!shape) return [prefix];
  return Object.entries(shape)
    .filter(([k]) => k !== 'extends')
    .flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
}

function suggestion(key: string, candidates: string[]): string {
  if (candidates.length === 0) return '';
  const best = closest(key, candidates);
  return distance(key.toLowerCase(), best.toLowerCase()) <= Math.max(1, Math.floor(Math.max(key.length, best.length) / 3))
    ? `; did you mean '${best}'?`
    : `; valid keys: ${candidates.join(', ')}`;
}

/** Throws if a dotted path names no config key, suggesting the closest one. */
function checkPath(path: string[], origin: string): void {
  checkKeyNames(path, origin);
  for (let i = 0; i < path.length; i++) {
    const parent = schemaAt(path.slice(0, i));
    const parentType = parent && (unwrap(parent) as AnySchema & { _zod: { def: { type: string } } })._zod.def.type;
    if (parentType === 'record') return;
    const shape = parent && objectShape(parent);
    const where = path.slice(0, i + 1).join('.');
    if (!shape) throw new ConfigError(`${where}: '${path.slice(0, i).join('.')}' is a value, not a section (${origin})`);
    if (!Object.hasOwn(shape, path[i]) || path[i] === 'extends') {
      throw new ConfigError(`${where}: unknown key (${origin})${suggestion(path[i], Object.keys(shape).filter((k) => k !== 'extends'))}`);
    }
  }
}

/** Keys that would reach an object's prototype when merged or set: never config keys. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function checkKeyNames(path: string[], origin: string): void {
  const bad = path.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new ConfigError(`${path.join('.')}: '${bad}' is not a config key (${origin})`);
}

/** Rejects a forbidden key anywhere in a layer before it is merged (a YAML file can hold `__proto__:`). */
function checkLayerKeys(value: unknown, path: string[], origin: (path: string[]) => string): void {
  if (!isPlain(value)) return;
  for (const k of Object.keys(value)) {
    checkKeyNames([...path, k], origin([...path, k]));
    checkLayerKeys(value[k], [...path, k], origin);
  }
}

// ---- layers ------------------------------------------------------------------------------------------

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  }
  return out;
}

function setPath(target: Plain, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (!isPlain(node[key])) node[key] = {};
    node = node[key] as Plain;
  }
  node[path[path.length - 1]] = value;
}

function recordSources(value: unknown, path: string[], origin: (path: string[]) => string, sources: Sources): void {
  if (isPlain(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) recordSources(v, [...path, k], origin, sources);
  } else if (path.length) {
    sources.set(path.join('.'), origin(path));
  }
}

interface FileLayer {
  data: Plain;
  origin: (path: string[]) => string;
  name: string;
}

function readYamlFile(file: string): FileLayer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `config file not found: ${file}` : `cannot read config file ${file}: ${(err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new ConfigError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    // The yaml package refuses documents whose aliases expand too far ("billion laughs").
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message} (too many or nested aliases; write the values out instead)`);
  }
  const name = dirname(resolve(file)) === resolve(presetsDir) ? `preset ${file.split('/').pop()?.replace(/\.yaml$/, '')}` : `file ${file}`;
  if (data === null || data === undefined) return { data: {}, origin: () => file, name };
  if (!isPlain(data)) throw new ConfigError(`${file}: the top level of a config file must be a mapping of keys, not ${describeValue(data)}`);
  const origin = (path: string[]): string => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const pair = locateKey(doc, path);
    const offset = pair ?? node?.range?.[0];
    if (offset === undefined) return file;
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  return { data, origin, name };
}

/** Offset of the key node for `path` (so errors point at the key, not the value). */
function locateKey(doc: Document, path: string[]): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined;
  for (const key of path) {
    if (!isMap(node)) return offset;
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
    if (!pair) return offset;
    offset = (pair.key as { range?: [number, number, number] }).range?.[0];
    node = pair.value;
  }
  return offset;
}

function presetFile(name: string): string {
  if (!(PRESETS as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown preset '${name}'${suggestion(name, [...PRESETS])} (presets: ${PRESETS.join(', ')})`);
  }
  return join(presetsDir, `${name}.yaml`);
}

/** Loads a config file and what it extends, lowest layer first. */
function fileLayers(file: string, seen: string[] = []): FileLayer[] {
  const abs = resolve(file);
  if (seen.includes(abs)) throw new ConfigError(`config 'extends' cycle: ${[...seen, abs].join(' -> ')}`);
  const layer = readYamlFile(file);
  const parent = layer.data.extends;
  if (parent === undefined) return [layer];
  if (typeof parent !== 'string' || parent.length === 0) {
    throw new ConfigError(`extends: expected a preset name or a file path but received ${describeValue(parent)} (${layer.origin(['extends'])})`);
  }
  const { extends: _, ...rest } = layer.data;
  const parentFile = (PRESETS as readonly string[]).includes(parent)
    ? presetFile(parent)
    : isAbsolute(parent) ? parent : join(dirname(abs), parent);
  if (!(PRESETS as readonly string[]).includes(parent) && !existsSync(parentFile)) {
    throw new ConfigError(`extends: '${parent}' is neither a preset (${PRESETS.join(', ')}) nor an existing file (${layer.origin(['extends'])})`);
  }
  return [...fileLayers(parentFile, [...seen, abs]), { ...layer, data: rest }];
}

function parseScalar(text: string): unknown {
  try {
    return parseYamlValue(text);
  } catch {
    return text;
  }
}

/** `training.learningRate` → `MLX_TRAIN_TRAINING__LEARNING_RATE`. */
export function envName(path: string[]): string {
  return `MLX_TRAIN_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('__')}`;
}

function envLayer(env: Record<string, string | undefined>): { data: Plain; sources: Sources } {
  const byName = new Map(leafPaths().map((p) => [envName(p), p]));
  const data: Plain = {};
  const sources: Sources = new Map();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('MLX_TRAIN_') || RESERVED_ENV.has(name) || raw === undefined) continue;
    const path = byName.get(name);
    if (!path) throw new ConfigError(`unknown config environment variable ${name}${suggestion(name, [...byName.keys()])}`);
    setPath(data, path, parseScalar(raw));
    sources.set(path.join('.'), `env ${name}`);
  }
  // The file layers below hold the config's value; --set (a flag) is layered above.
  const tracking = resolveTrackingUri({ env });
  if (tracking.from !== 'default') {
    setPath(data, ['tracking', 'trackingUri'], tracking.uri);
    sources.set('tracking.trackingUri', tracking.from);
  }
  return { data, sources };
}

function flagLayer(flags: FlagOverride[]): { data: Plain; sources: Sources } {
  const data: Plain = {};
  const sources: Sources = new Map();
  for (const { path, value, flag } of flags) {
    const keys = path.split('.');
    checkPath(keys, flag);
    setPath(data, keys, value);
    sources.set(path, flag);
  }
  return { data, sources };
}

function setLayer(sets: string[]): { data: Plain; sources: Sources } {
  const data: Plain = {};
  const sources: Sources = new Map();
  for (const item of sets) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${item}: expected key.path=value`);
    const key = item.slice(0, eq).trim();
    const path = key.split('.');
    if (path.some((p) => p.length === 0)) throw new ConfigError(`--set ${item}: '${key}' is not a valid key path`);
    checkPath(path, `--set ${item}`);
    const raw = item.slice(eq + 1);
    const value = parseScalar(raw);
    if (typeof value === 'object' && value !== null && expectsString(path)) {
      // `{Name}` is a YAML flow mapping: an unquoted template arrives as an object, not text.
      throw new ConfigError(
        `--set ${item}: '${key}' expects text, but YAML read '${raw}' as ${Array.isArray(value) ? 'a list' : 'a mapping'}; quote the value, e.g. --set '${key}="${raw.replace(/"/g, '\\"')}"'`,
      );
    }
    setPath(data, path, value);
    sources.set(path.join('.'), `--set ${item}`);
  }
  return { data, sources };
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let v = data;
  for (const k of path) v = isPlain(v) || Array.isArray(v) ? (v as Plain)[k as string] : undefined;
  return v;
}

function formatIssues(issues: z.core.$ZodIssue[], merged: Plain, sources: Sources): string {
  const lines = issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const parent = schemaAt(path);
      const valid = parent ? Object.keys(objectShape(parent) ?? {}).filter((k) => k !== 'extends') : [];
      return issue.keys.map((k) => {
        const full = [...path, k].join('.');
        const from = sources.get(full) ?? [...sources.entries()].find(([p]) => p.startsWith(`${full}.`))?.[1];
        return `${full}: unknown key${from ? ` (${from})` : ''}${suggestion(k, valid)}`;
      });
    }
    const where = path.join('.') || '(root)';
    const from = sources.get(where) ?? [...sources.entries()].find(([p]) => p.startsWith(`${where}.`))?.[1];
    const received = valueAt(merged, issue.path as PropertyKey[]);
    return [`${where}: ${issue.message.replace(/^Invalid input: /, '')}; received ${describeValue(received)}${from ? ` (${from})` : ''}`];
  });
  return `invalid training config:\n  ${lines.join('\n  ')}`;
}

/** Validates a plain object against the schema (defaults filled in), with readable errors. */
export function parseConfig(data: Plain, sources: Sources = new Map()): TrainingConfig {
  const result = TrainingConfigSchema.safeParse(data);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, data, sources));
  const { extends: _, ...config } = result.data;
  if (config.sweep) checkSweepKeys(Object.keys(config.sweep.parameters), sources);
  return config;
}

/** Each swept key must be a config key the sweep can set (not the sweep section itself). */
function checkSweepKeys(keys: string[], sources: Sources): void {
  const valid = leafPaths().map((p) => p.join('.')).filter((k) => !k.startsWith('sweep.'));
  for (const key of keys) {
    if (valid.includes(key)) continue;
    const full = `sweep.parameters.${key}`;
    const from = sources.get(full) ?? [...sources.entries()].find(([p]) => p.startsWith(`${full}.`))?.[1];
    const why = key.startsWith('sweep.') ? 'the sweep section itself cannot be swept' : 'unknown config key';
    throw new ConfigError(`${full}: ${why}${from ? ` (${from})` : ''}${suggestion(key, valid)}`);
  }
}

export function resolveConfig(options: ResolveOptions = {}): ResolvedConfig {
  let merged: Plain = {};
  const sources: Sources = new Map();
  const layers: string[] = ['defaults'];
  const apply = (data: Plain, origin: (path: string[]) => string, name: string): void => {
    checkLayerKeys(data, [], origin);
    merged = deepMerge(merged, data);
    recordSources(data, [], origin, sources);
    layers.push(name);
  };
  if (options.preset) {
    for (const l of fileLayers(presetFile(options.preset))) apply(l.data, l.origin, l.name);
  }
  if (options.file) {
    for (const l of fileLayers(options.file)) apply(l.data, l.origin, l.name);
  }
  if (options.overrides) apply(options.overrides, () => 'library overrides', 'overrides');
  const env = envLayer(options.env ?? process.env);
  if (Object.keys(env.data).length) apply(env.data, (p) => env.sources.get(p.join('.')) ?? 'env', 'env');
  const sets = setLayer(options.set ?? []);
  if (Object.keys(sets.data).length) apply(sets.data, (p) => sets.sources.get(p.join('.')) ?? '--set', '--set');
  const flags = flagLayer(options.flags ?? []);
  if (Object.keys(flags.data).length) apply(flags.data, (p) => flags.sources.get(p.join('.')) ?? 'flags', 'flags');
  return { config: parseConfig(merged, sources), layers };
}

/** Loads a preset by name (library use: `loadPreset('quick')`). */
export function loadPreset(name: PresetName): TrainingConfig {
  return resolveConfig({ preset: name, env: {} }).config;
}

/** The resolved config as YAML, as printed by `mlx-train config` and logged as an artifact. */
export function configToYaml(config: TrainingConfig): string {
  return stringify(config, { lineWidth: 0 });
}

/** Flattened `section.key` → string pairs, as logged to the tracking store's params. */
export function flattenConfig(config: TrainingConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, path: string[]): void => {
    if (isPlain(v) && Object.keys(v).length) {
      for (const [k, child] of Object.entries(v)) walk(child, [...path, k]);
    } else {
      out[path.join('.')] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  };
  walk(config, []);
  return out;
}
