/**
 * The search space: each swept config key as a dimension (float, log-float, int or a list of values),
 * random draws from a seeded generator, the grid, and the trial config (the base config with a trial's
 * values set at their key paths). Values are checked against the training schema before any trial runs,
 * so a bound the schema refuses (training.learningRate max 20) fails at once, naming the key.
 */
import { parseConfig } from '../config/load.js';
import type { TrainingConfig } from '../config/schema.js';
import type { SweepParameter, SweepSpec } from '../config/sweep-schema.js';
import type { SeededRandom } from '../data/seeded-random.js';
import { ConfigError } from '../errors.js';

export type ParamValue = string | number | boolean | null;
export type TrialParams = Record<string, ParamValue>;

export type Dimension =
  | { key: string; kind: 'float'; log: boolean; low: number; high: number }
  | { key: string; kind: 'int'; low: number; high: number; step: number }
  | { key: string; kind: 'choice'; choices: ParamValue[] };

export function dimensionOf(key: string, p: SweepParameter): Dimension {
  if ('values' in p) return { key, kind: 'choice', choices: p.values };
  if (p.distribution === 'int') return { key, kind: 'int', low: p.min, high: p.max, step: p.step };
  return { key, kind: 'float', log: p.distribution === 'log_uniform', low: p.min, high: p.max };
}

export function dimensionsOf(spec: SweepSpec): Dimension[] {
  return Object.entries(spec.parameters).map(([k, p]) => dimensionOf(k, p));
}

/** Position of a value in [0, 1] along its dimension (log scale for log-floats; choices by index). */
export function unitOf(d: Dimension, v: ParamValue): number {
  if (d.kind === 'choice') return d.choices.length === 1 ? 0.5 : d.choices.findIndex((c) => c === v) / (d.choices.length - 1);
  const x = v as number;
  if (d.kind === 'float' && d.log) return (Math.log(x) - Math.log(d.low)) / (Math.log(d.high) - Math.log(d.low));
  return (x - d.low) / (d.high - d.low);
}

/** Snaps an int dimension's value onto its grid of steps within [low, high]. */
export function snapInt(d: Extract<Dimension, { kind: 'int' }>, x: number): number {
  const k = Math.round((x - d.low) / d.step);
  return Math.min(d.low + Math.max(0, k) * d.step, d.low + Math.floor((d.high - d.low) / d.step) * d.step);
}

export function sampleUniform(d: Dimension, rng: SeededRandom): ParamValue {
  switch (d.kind) {
    case 'choice':
      return d.choices[rng.int(d.choices.length)];
    case 'int':
      return d.low + rng.int(Math.floor((d.high - d.low) / d.step) + 1) * d.step;
    case 'float':
      return d.log ? Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low))) : d.low + rng.next() * (d.high - d.low);
  }
}

/** Every combination, the first key varying slowest; int ranges enumerate their steps. */
export function gridOf(dims: Dimension[]): TrialParams[] {
  const axes = dims.map((d) => {
    if (d.kind === 'choice') return d.choices;
    if (d.kind === 'int') return Array.from({ length: Math.floor((d.high - d.low) / d.step) + 1 }, (_, i) => d.low + i * d.step);
    throw new ConfigError(`sweep.parameters.${d.key}: method grid needs a list of values or an int range, not a ${d.log ? 'log_uniform' : 'uniform'} distribution`);
  });
  const size = axes.reduce((n, a) => n * a.length, 1);
  if (size > 100_000) throw new ConfigError(`sweep: the grid has ${size} points; at most 100000 (narrow the ranges or use method random/tpe)`);
  let out: TrialParams[] = [{}];
  dims.forEach((d, i) => {
    out = out.flatMap((p) => axes[i].map((v) => ({ ...p, [d.key]: v })));
  });
  return out;
}

/** How many trials a spec runs: sweep.trials, or the grid size for a grid (capped by trials). */
export function trialCount(spec: SweepSpec): number {
  if (spec.method === 'grid') return Math.min(spec.trials ?? Number.POSITIVE_INFINITY, gridOf(dimensionsOf(spec)).length);
  if (spec.trials === undefined) throw new ConfigError(`sweep.trials: method ${spec.method} needs a number of trials`);
  return spec.trials;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The base config (sweep section dropped) with each value set at its key path, validated by the schema. */
export function trialConfig(base: TrainingConfig, params: TrialParams, origin = 'a sweep trial'): TrainingConfig {
  const { sweep: _, ...plain } = structuredClone(base) as TrainingConfig & Record<string, unknown>;
  for (const [key, value] of Object.entries(params)) {
    const path = key.split('.');
    let node = plain as Record<string, unknown>;
    for (const k of path.slice(0, -1)) {
      if (!isPlain(node[k])) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  try {
    return parseConfig(plain);
  } catch (err) {
    throw new ConfigError(`sweep: ${origin} (${Object.entries(params).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}) is not a valid training config: ${(err as Error).message.replace(/^invalid training config:\s*/, '')}`);
  }
}

/** Checks every bound and listed value of every dimension against the schema, one key at a time. */
export function checkSpace(base: TrainingConfig, dims: Dimension[]): void {
  for (const d of dims) {
    const values = d.kind === 'choice' ? d.choices : [d.low, d.high];
    for (const v of values) trialConfig(base, { [d.key]: v }, `the value ${JSON.stringify(v)} of sweep.parameters.${d.key}`);
  }
}

/** The value at a dotted key path of a config (undefined when absent). */
function valueAt(config: TrainingConfig, key: string): unknown {
  let node: unknown = config;
  for (const k of key.split('.')) node = isPlain(node) ? node[k] : undefined;
  return node;
}

/** Why `v` lies outside dimension `d`, or null when it is one of its values. */
function outsideOf(d: Dimension, v: unknown): string | null {
  if (d.kind === 'choice') return d.choices.some((c) => c === v) ? null : `is not one of the swept values ${JSON.stringify(d.choices)}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) return `is not a number (the swept range is ${d.low}..${d.high})`;
  if (v < d.low || v > d.high) return `lies outside the swept range ${d.low}..${d.high}`;
  if (d.kind === 'int' && (!Number.isInteger(v) || (v - d.low) % d.step !== 0)) return `is not on the swept int grid ${d.low}..${d.high} step ${d.step}`;
  return null;
}

/**
 * The params of sweep.enqueue's trials, which run first: 'base' or a partial point, every swept key not
 * given taken from the base config. Each value must lie in its dimension (so TPE can weigh the trial like
 * any other) and each point must make a valid training config.
 */
export function enqueuedTrials(base: TrainingConfig, spec: SweepSpec, dims: Dimension[], total: number): TrialParams[] {
  if (spec.enqueue.length === 0) return [];
  if (spec.method === 'grid') throw new ConfigError('sweep.enqueue: method grid runs every point of the grid already; enqueue is for methods random and tpe');
  if (spec.enqueue.length > total) throw new ConfigError(`sweep.enqueue: ${spec.enqueue.length} enqueued trials but sweep.trials is ${total}`);
  const swept = new Set(dims.map((d) => d.key));
  return spec.enqueue.map((entry, i) => {
    const given = entry === 'base' ? {} : entry;
    for (const key of Object.keys(given)) {
      if (!swept.has(key)) throw new ConfigError(`sweep.enqueue[${i}].${key}: not a swept parameter (swept: ${[...swept].join(', ')})`);
    }
    const params: TrialParams = {};
    for (const d of dims) {
      const fromBase = !(d.key in given);
      const v = fromBase ? valueAt(base, d.key) : given[d.key];
      const why = outsideOf(d, v);
      if (why) throw new ConfigError(`sweep.enqueue[${i}].${d.key}: ${fromBase ? "the base config's value " : ''}${JSON.stringify(v)} ${why}`);
      params[d.key] = v as ParamValue;
    }
    trialConfig(base, params, `sweep.enqueue[${i}]`);
    return params;
  });
}
