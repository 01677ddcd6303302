/**
 * Training checkpoints: one safetensors file holding the weights (`model.*`), the optimizer state
 * (`optimizer.*`, step count and learning rate included) and the random key (`rng.key`), with the loop
 * position, best metric, batch-sizer and callback states and the resolved config in its metadata.
 * A LoRA run (frozen base) stores only its trainable weights (adapters + head): the base is rebuilt from
 * the pretrained folder the stored config names, so each checkpoint is kilobytes, not the whole model.
 * Written atomically: a temp file in the same folder, fsync, rename over the final name, fsync the folder,
 * so a crash at any point leaves either the old checkpoint or the new one, never half of one.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as mx from '../core/index.js';
import { readSafetensorsJson } from '../models/safetensors-header.js';
import { configToYaml } from '../config/load.js';
import type { TrainingConfig } from '../config/schema.js';
import { CheckpointError } from '../errors.js';
import type { Module } from '../nn/index.js';
import type { Optimizer } from '../optim/index.js';

export const CHECKPOINT_FORMAT = 'mlx-train-checkpoint-1';
const NAME = /^checkpoint-(\d+)\.safetensors$/;

export { CheckpointError };

/** Everything but arrays that a resume needs. */
export interface TrainerCheckpointState {
  globalStep: number;
  /** The epoch and batch to continue from (the end of an epoch is stored as the start of the next). */
  epoch: number;
  batchIndex: number;
  totalSteps: number;
  best?: { metric: string; value: number; step: number };
  /** File name of the checkpoint holding the best weights (never pruned). */
  bestCheckpoint?: string;
  /** The batching the current epoch's batch order was planned with. */
  epochBatching?: Record<string, number>;
  batchSizer?: unknown;
  lossScaler?: unknown;
  skippedSteps?: number;
  /** The data order's seed (the order itself is a function of seed, epoch and batching). */
  dataSeed: number;
  /** The tracked run this training logs to, so a resume continues it. */
  runId?: string;
  /** Regression: the target standardisation the model was trained with (undone at prediction). */
  targetScaling?: { mean: number; std: number };
}

export interface CheckpointContents {
  model: Module;
  optimizer: Optimizer;
  trainer: TrainerCheckpointState;
  callbacks: Record<string, Record<string, unknown>>;
  config: TrainingConfig;
}

export interface LoadedCheckpoint {
  path: string;
  trainer: TrainerCheckpointState;
  callbacks: Record<string, Record<string, unknown>>;
  configYaml: string;
  config: TrainingConfig;
  model: [string, mx.Array][];
  /** 'trainable': `model` holds only the trainable weights of a LoRA run (load with loadModelWeights). */
  weights: 'all' | 'trainable';
  optimizer: [string, mx.Array][];
  rngKey: mx.Array;
}

export function checkpointName(step: number): string {
  return `checkpoint-${String(step).padStart(8, '0')}.safetensors`;
}

export function fsyncPath(path: string, flags = 'r'): void {
  const fd = openSync(path, flags);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsyncs a folder so a rename into it survives a power cut; some filesystems refuse, and the rename is atomic regardless. */
export function fsyncFolder(dir: string): void {
  try {
    fsyncPath(dir, 'r');
  } catch {
    // best effort, see above
  }
}

/**
 * Writes a file atomically: `write(tmp)` fills a temp file in the target folder, which is fsynced and
 * renamed over `path`; the folder is fsynced so the rename survives a power cut. `beforeRename` is a
 * fault-injection point for tests (throwing there is a crash between write and rename).
 */
export function writeAtomically(path: string, write: (tmp: string) => void, beforeRename?: () => void): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  // MLX appends '.safetensors' to names without it, so the temp name keeps the extension.
  const tmp = join(dir, `.tmp-${process.pid}-${Date.now()}-${basename(path)}`);
  try {
    write(tmp);
    fsyncPath(tmp, 'r+');
    beforeRename?.();
    renameSync(tmp, path);
  } catch (err) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw err;
  }
  fsyncFolder(dir);
}

/** Writes a checkpoint for `contents.trainer.globalStep` into `dir`; returns its path. */
export function saveCheckpoint(dir: string, contents: CheckpointContents, options: { beforeRename?: () => void; name?: string } = {}): string {
  const arrays: Record<string, mx.Array> = {};
  const trainableOnly = contents.config.training.lora.enabled;
  const weights = trainableOnly ? contents.model.trainableParameters() : contents.model.parameters();
  for (const [k, v] of mx.treeFlatten(weights)) if (v instanceof mx.Array) arrays[`model.${k}`] = v;
  for (const [k, v] of mx.treeFlatten(contents.optimizer.state)) if (v instanceof mx.Array) arrays[`optimizer.${k}`] = v;
  arrays['rng.key'] = mx.random.getState();
  const metadata = {
    format: CHECKPOINT_FORMAT,
    weights: trainableOnly ? 'trainable' : 'all',
    trainer: JSON.stringify(contents.trainer),
    callbacks: JSON.stringify(contents.callbacks),
    config: JSON.stringify(contents.config),
    config_yaml: configToYaml(contents.config),
  };
  const path = join(dir, options.name ?? checkpointName(contents.trainer.globalStep));
  try {
    writeAtomically(path, (tmp) => mx.save(tmp, arrays, metadata), options.beforeRename);
  } finally {
    arrays['rng.key'].dispose();
  }
  return path;
}

function parseJson(meta: Record<string, string>, key: string, path: string): any {
  if (meta[key] === undefined) throw new CheckpointError(`not an mlx-train checkpoint: metadata '${key}' is missing`, path);
  try {
    return JSON.parse(meta[key]);
  } catch (err) {
    throw new CheckpointError(`corrupt checkpoint metadata '${key}': ${(err as Error).message}`, path);
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * The trainer record of a checkpoint, checked: a hand-edited or corrupt one (not an object, negative
 * steps, an epoch past the run's own epoch count) would resume from a nonsense position, so it is an
 * error naming the file and the key. `epochs` is the epoch count of the run that wrote it, when known.
 */
export function checkTrainerState(state: unknown, path: string, epochs?: unknown): TrainerCheckpointState {
  const bad = (key: string, what: string, v: unknown) => new CheckpointError(`trainer state key '${key}' must be ${what} but is ${JSON.stringify(v) ?? String(v)}`, path);
  if (typeof state !== 'object' || state === null || Array.isArray(state)) {
    throw new CheckpointError(`the trainer state (metadata 'trainer') must be an object but is ${Array.isArray(state) ? 'an array' : JSON.stringify(state)}`, path);
  }
  const s = state as Record<string, unknown>;
  for (const key of ['globalStep', 'epoch', 'batchIndex'] as const) {
    if (!isCount(s[key])) throw bad(key, 'a non-negative integer', s[key]);
  }
  for (const key of ['totalSteps', 'dataSeed', 'skippedSteps'] as const) {
    if (s[key] !== undefined && !isCount(s[key])) throw bad(key, 'a non-negative integer', s[key]);
  }
  // The end of the last epoch is stored as the start of the next, so `epoch` reaches at most the run's epoch count.
  const maxEpoch = isCount(epochs) ? epochs : 1_000_000;
  if ((s.epoch as number) > maxEpoch) throw bad('epoch', `at most ${maxEpoch}${isCount(epochs) ? " (the run's training.epochs)" : ''}`, s.epoch);
  const best = s.best;
  if (best !== undefined && (typeof best !== 'object' || best === null || typeof (best as Record<string, unknown>).metric !== 'string' || typeof (best as Record<string, unknown>).value !== 'number' || !isCount((best as Record<string, unknown>).step))) {
    throw bad('best', '{metric: string, value: number, step: non-negative integer}', best);
  }
  return s as unknown as TrainerCheckpointState;
}

/**
 * Problems (one indented line each) where a checkpoint tensor's dtype differs from what it replaces:
 * a float16 table loaded into a float32 model, or int weights, would train silently on a different type.
 */
function dtypeProblems(current: ReadonlyMap<string, mx.Array>, given: [string, mx.Array][], prefix: string): string[] {
  return given.flatMap(([k, v]) => {
    const cur = current.get(k);
    return cur && cur.dtype !== v.dtype ? [`  ${prefix}${k}: expected ${cur.dtype} but found ${v.dtype}`] : [];
  });
}

/** Reads a checkpoint file (arrays evaluated, so the file can be replaced afterwards). */
export function loadCheckpoint(path: string): LoadedCheckpoint {
  if (!existsSync(path)) throw new CheckpointError('no such checkpoint', path);
  const { arrays, metadata } = mx.load(path);
  if (metadata.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`not an mlx-train checkpoint (format '${metadata.format ?? 'none'}', expected '${CHECKPOINT_FORMAT}')`, path);
  mx.eval(Object.values(arrays));
  const pick = (prefix: string) =>
    Object.entries(arrays)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v] as [string, mx.Array]);
  const rngKey = arrays['rng.key'];
  if (!rngKey) throw new CheckpointError("the checkpoint has no 'rng.key'", path);
  if (rngKey.dtype !== 'uint32' || rngKey.shape.join() !== '2') throw new CheckpointError(`tensor 'rng.key' must be uint32 [2] but is ${rngKey.dtype} [${rngKey.shape.join(', ')}]`, path);
  const config = parseJson(metadata, 'config', path);
  return {
    path,
    trainer: checkTrainerState(parseJson(metadata, 'trainer', path), path, config?.training?.epochs),
    callbacks: parseJson(metadata, 'callbacks', path),
    config,
    configYaml: metadata.config_yaml ?? '',
    model: pick('model.'),
    weights: metadata.weights === 'trainable' ? 'trainable' : 'all',
    optimizer: pick('optimizer.'),
    rngKey,
  };
}

/** The model's trainable weights as [dotted path, array] pairs (a LoRA run's adapters and head). */
export function trainableWeights(model: Module): [string, mx.Array][] {
  return (mx.treeFlatten(model.trainableParameters()) as [string, unknown][]).filter(([, v]) => v instanceof mx.Array) as [string, mx.Array][];
}

/**
 * How `given` differs from exactly the model's trainable weights: one indented line per missing,
 * unexpected or mis-shaped name (empty when they fit). Checkpoints and adapter files of LoRA runs hold
 * only these weights, so both are checked this way before loading.
 */
export function trainableWeightProblems(model: Module, given: ReadonlyMap<string, mx.Array>): string[] {
  const trainable = new Map(trainableWeights(model));
  return [
    ...[...trainable.keys()].filter((k) => !given.has(k)).map((k) => `  missing ${k}`),
    ...[...given.keys()].filter((k) => !trainable.has(k)).map((k) => `  unexpected ${k} (not a trainable weight of this model)`),
    ...[...given].filter(([k, v]) => trainable.has(k) && v.shape.join() !== trainable.get(k)!.shape.join())
      .map(([k, v]) => `  ${k}: expected shape [${trainable.get(k)!.shape.join(', ')}] but found [${v.shape.join(', ')}]`),
  ];
}

/**
 * Loads a checkpoint's model weights (kept alive past the checkpoint's own lifetime). A trainable-only
 * checkpoint must hold exactly the model's trainable weights (names and shapes); the frozen rest stays
 * as setup built it.
 */
export function loadModelWeights(model: Module, ck: LoadedCheckpoint): void {
  const current = new Map((mx.treeFlatten(model.parameters()) as [string, unknown][]).filter(([, v]) => v instanceof mx.Array) as [string, mx.Array][]);
  const wrongTypes = dtypeProblems(current, ck.model, 'model.');
  if (wrongTypes.length) throw new CheckpointError(`checkpoint tensors of the wrong dtype:\n${wrongTypes.join('\n')}`, ck.path);
  const pairs = ck.model.map(([k, v]) => [k, mx.keep(v)] as [string, mx.Array]);
  if (ck.weights === 'all') {
    model.loadWeights(pairs);
    return;
  }
  const problems = trainableWeightProblems(model, new Map(pairs));
  if (problems.length) throw new CheckpointError(`the checkpoint's trainable weights (a LoRA run) do not fit this model's:\n${problems.join('\n')}`, ck.path);
  model.loadWeights(pairs, { strict: false });
}

/**
 * Loads only the model weights of a loaded checkpoint into `model` (its optimizer state and random key
 * are freed) and evaluates them; a checkpoint that does not fit the model is a CheckpointError.
 */
export function loadCheckpointWeights(model: Module, ck: LoadedCheckpoint): void {
  try {
    loadModelWeights(model, ck);
  } catch (err) {
    mx.dispose(ck.model.map(([, v]) => v));
    throw new CheckpointError(`the checkpoint's weights do not fit the model built from this config: ${(err as Error).message}`, ck.path);
  } finally {
    mx.dispose([...ck.optimizer.map(([, v]) => v), ck.rngKey]);
  }
  mx.eval(model.parameters());
}

/**
 * Restores optimizer state in place (its tree object stays the same, so compiled steps that captured
 * it keep working): the state is initialised for the trainable parameters, then every saved leaf is
 * written at its path.
 */
export function restoreOptimizerState(optimizer: Optimizer, model: Module, pairs: [string, mx.Array][], file: string): void {
  optimizer.init(model.trainableParameters());
  const state = optimizer.state as Record<string, unknown>;
  for (const [path, value] of pairs) {
    const keys = path.split('.');
    let node: any = state;
    for (const k of keys.slice(0, -1)) {
      if (node[k] === undefined) throw new CheckpointError(`optimizer state '${path}' does not match the model's trainable parameters`, file);
      node = node[k];
    }
    const last = keys[keys.length - 1];
    const old = node[last];
    if (old instanceof mx.Array && old.dtype !== value.dtype) throw new CheckpointError(`checkpoint tensor 'optimizer.${path}' has the wrong dtype: expected ${old.dtype} but found ${value.dtype}`, file);
    node[last] = mx.keep(value);
    if (old instanceof mx.Array && old !== value) old.dispose();
  }
}

/** Checkpoints in `dir`, oldest first (temp files of interrupted writes are not listed). */
export function listCheckpoints(dir: string): { step: number; path: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => ({ f, m: NAME.exec(f) }))
    .filter((x) => x.m)
    .map((x) => ({ step: Number(x.m![1]), path: join(dir, x.f) }))
    .sort((a, b) => a.step - b.step);
}

export function latestCheckpoint(dir: string): string | null {
  const all = listCheckpoints(dir);
  return all.length ? all[all.length - 1].path : null;
}

/**
 * The trainer record in a checkpoint's metadata, read from the safetensors header alone (the same
 * header reader pretrained checkpoints go through), so no weights are loaded.
 */
export function readTrainerState(path: string): TrainerCheckpointState {
  const meta = (readSafetensorsJson(path).header.__metadata__ ?? {}) as Record<string, string>;
  if (meta.format !== CHECKPOINT_FORMAT) throw new CheckpointError(`not an mlx-train checkpoint (format '${meta.format ?? 'none'}', expected '${CHECKPOINT_FORMAT}')`, path);
  const config = meta.config === undefined ? undefined : parseJson(meta, 'config', path);
  return checkTrainerState(parseJson(meta, 'trainer', path), path, config?.training?.epochs);
}

/**
 * The checkpoint with the best weights in `dir`: the one the newest checkpoint names as best (on the
 * monitored metric), or the newest itself when it names none or that file is gone.
 */
export function bestCheckpoint(dir: string): string | null {
  const latest = latestCheckpoint(dir);
  if (!latest) return null;
  const best = readTrainerState(latest).best;
  const path = best ? join(dir, checkpointName(best.step)) : latest;
  return existsSync(path) ? path : latest;
}

/** Deletes all but the newest `keep` checkpoints, never the protected ones (the best), and stale temp files. */
export function pruneCheckpoints(dir: string, keep: number, protect: (string | undefined)[] = []): string[] {
  const all = listCheckpoints(dir);
  const protectedNames = new Set(protect.filter(Boolean).map((p) => basename(p!)));
  const removed: string[] = [];
  for (const c of all.slice(0, Math.max(0, all.length - keep))) {
    if (protectedNames.has(basename(c.path))) continue;
    unlinkSync(c.path);
    removed.push(c.path);
  }
  for (const f of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^\.tmp-(\d+)-/.exec(f);
    if (m && Number(m[1]) !== process.pid) unlinkSync(join(dir, f));
  }
  return removed;
}
