/**
 * `sweep(config, options)`: runs a hyperparameter search described by config.sweep. The runner samples
 * each trial's params, forks a worker process per trial (at most sweep.parallel at once, the CPU threads
 * split between them), decides pruning at epoch boundaries as the workers report, records everything in
 * the tracking store (study.ts) and, at the end, logs the best trial, writes its config as a ready YAML
 * and the parallel-coordinates and importance plots as artifacts of the sweep run.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configToYaml, flattenConfig, parseConfig, resolveConfig, type ResolveOptions } from '../config/load.js';
import type { TrainingConfig, TrainingConfigInput } from '../config/schema.js';
import type { SweepSpec } from '../config/sweep-schema.js';
import { ConfigError, TrainingError } from '../errors.js';
import { openStore } from '../tracking/index.js';
import type { TrackingClient } from '../tracking/types.js';
import { checkMonitorName, defaultMode } from '../trainer/evaluate.js';
import { checkpointDirOf, foldConfig } from '../trainer/run-layout.js';
import { Pruner } from './pruners.js';
import { writeSweepReport } from './report.js';
import { suggestTrial } from './samplers.js';
import { checkSpace, type Dimension, dimensionsOf, enqueuedTrials, trialConfig, trialCount, type TrialParams } from './space.js';
import { createSweepRun, OBJECTIVE_METRIC, reached, recordOutcome, reopenSweep, specDigest, TAGS, type TrialRecord } from './study.js';
import type { Observation } from './tpe.js';
import type { TrialJob, WorkerMessage } from './worker.js';

export interface SweepOptions {
  /** Continue the sweep of this parent run id (finished trials are kept, unfinished ones restart). */
  resume?: string;
  /** tracking.experimentName for the sweep and its trials. */
  experiment?: string;
  /** Progress lines (default: stderr). */
  log?: (message: string) => void;
}

export interface SweepResult {
  runId: string;
  experimentId: string;
  metric: string;
  mode: 'min' | 'max';
  /** The trials, best first (complete trials by objective, then pruned, then failed). */
  trials: TrialRecord[];
  best: { index: number; value: number; params: TrialParams; runId?: string; config: TrainingConfig; enqueued?: boolean } | null;
  /** The best trial's config as YAML (`train -c` reproduces it), also an artifact of the sweep run. */
  bestConfigPath: string | null;
  /** Epochs trained by every attempt, and what running every trial to the end would take. */
  epochsTrained: number;
  epochsFullBudget: number;
  artifacts: string[];
}

/** dist/sweep/worker.js from both dist/sweep (installed) and src/sweep (tests run the TS sources). */
const workerPath = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'sweep', 'worker.js');

const isOptions = (v: object): v is ResolveOptions => ['preset', 'file', 'set', 'env', 'overrides'].some((k) => k in v) && !('training' in v || 'model' in v || 'sweep' in v);

function resolveInput(config: TrainingConfig | TrainingConfigInput | ResolveOptions, experiment?: string): TrainingConfig {
  const c = isOptions(config) ? resolveConfig({ env: {}, ...config }).config : parseConfig(config as Record<string, unknown>);
  return experiment ? { ...c, tracking: { ...c.tracking, experimentName: experiment } } : c;
}

/** The trial's config with the sweep's folds; what best-config.yaml holds. */
function configOf(base: TrainingConfig, spec: SweepSpec, params: TrialParams): TrainingConfig {
  const c = trialConfig(base, params);
  return spec.folds ? { ...c, data: { ...c.data, kFolds: spec.folds } } : c;
}

export async function sweep(config: TrainingConfig | TrainingConfigInput | ResolveOptions, options: SweepOptions = {}): Promise<SweepResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const base = resolveInput(config, options.experiment);
  const spec = base.sweep;
  if (!spec) throw new ConfigError('sweep: the config has no sweep section (sweep: {method, trials, metric, parameters, …})');
  if (!base.tracking.enabled) throw new ConfigError('sweep: tracking.enabled is false, but the sweep is recorded in (and resumed from) the tracking store; enable tracking');
  try {
    checkMonitorName(spec.metric);
  } catch (err) {
    throw new ConfigError(`sweep.metric: ${(err as Error).message}`);
  }
  if (!existsSync(workerPath)) throw new TrainingError(`sweep: the worker ${workerPath} is missing; build the package (npm run build)`, 'SWEEP_ERROR');
  const mode = spec.mode ?? defaultMode(spec.metric);
  const dims = dimensionsOf(spec);
  const total = trialCount(spec);
  checkSpace(configOf(base, spec, {}), dims);
  const enqueued = enqueuedTrials(base, spec, dims, total);
  const digest = specDigest({ spec, base: { ...base, sweep: undefined, tracking: { ...base.tracking, runName: null } } });

  const store = await openStore(base.tracking.trackingUri, { artifactRoot: base.tracking.artifactLocation });
  try {
    let runId: string;
    let experimentId: string;
    let attempts: TrialRecord[] = [];
    if (options.resume) {
      ({ experimentId, attempts } = await reopenSweep(store, options.resume, digest, spec.pruner.resource === 'folds' ? spec.folds : null));
      runId = options.resume;
      log(`sweep: resuming ${runId}: ${attempts.filter((a) => a.state !== 'interrupted').length} trial(s) finished, ${attempts.filter((a) => a.state === 'interrupted').length} to restart`);
    } else {
      const params = { ...Object.fromEntries(Object.entries(flattenConfig({ sweep: { ...spec, parameters: {} } } as unknown as TrainingConfig)).filter(([k]) => k !== 'sweep.parameters')) };
      for (const [k, p] of Object.entries(spec.parameters)) params[`sweep.parameters.${k}`] = JSON.stringify(p);
      ({ runId, experimentId } = await createSweepRun(store, { experiment: base.tracking.experimentName, runName: base.tracking.runName ?? undefined, digest, params }));
      await logText(store, runId, 'sweep-config.yaml', configToYaml(base));
      log(`sweep: run ${runId} (experiment '${base.tracking.experimentName}'), ${total} trials, ${spec.method}, pruner ${spec.pruner.type}, ${spec.parallel} worker(s)`);
    }
    const ctx: Ctx = { store, base, spec, dims, total, enqueued, mode, runId, experimentId, log, pruner: new Pruner(spec.pruner, mode, spec.metric) };
    const finished = new Map<number, TrialRecord>();
    for (const a of attempts) {
      if (a.state === 'interrupted') continue;
      finished.set(a.index, a);
      for (const [r, v] of a.history) ctx.pruner.record(a.index, r, v);
    }
    const restart = new Map<number, TrialParams>();
    for (const a of attempts) if (a.state === 'interrupted' && !finished.has(a.index)) restart.set(a.index, a.params);
    // Ctrl-C: start no new trial; the running ones stop at their next step (their loops see SIGINT too)
    // and stay unfinished, so --resume restarts them.
    const onSigint = () => {
      if (!ctx.stopping) log(`sweep: interrupted; finishing the running trials' current step. Resume with: mlx-train sweep -c <file> --resume ${runId}`);
      ctx.stopping = true;
    };
    process.on('SIGINT', onSigint);
    let all: TrialRecord[];
    try {
      all = await runTrials(ctx, finished, restart);
    } finally {
      process.off('SIGINT', onSigint);
    }
    if (ctx.stopping) {
      await store.setTerminated(runId, 'KILLED');
      throw new TrainingError(`sweep ${runId} interrupted: ${all.length} of ${total} trials finished; continue with --resume ${runId}`, 'SWEEP_INTERRUPTED');
    }
    const epochsTrained = attempts.filter((a) => a.state === 'interrupted').reduce((n, a) => n + a.epochs, 0) + all.reduce((n, t) => n + t.epochs, 0);
    return await writeSweepReport({ ...ctx, trials: all, epochsTrained, configOf: (p) => configOf(base, spec, p) });
  } finally {
    await store.close().catch(() => {});
  }
}

export interface Ctx {
  store: TrackingClient;
  base: TrainingConfig;
  spec: SweepSpec;
  dims: Dimension[];
  total: number;
  /** sweep.enqueue's params: trial i < enqueued.length runs enqueued[i]. */
  enqueued: TrialParams[];
  mode: 'min' | 'max';
  runId: string;
  experimentId: string;
  log: (m: string) => void;
  pruner: Pruner;
  /** Set by Ctrl-C: no new trial starts. */
  stopping?: boolean;
}

function observations(finished: Map<number, TrialRecord>): Observation[] {
  return [...finished.values()].sort((a, b) => a.index - b.index).map((t) => ({ params: t.params, value: t.state === 'complete' || t.state === 'pruned' ? t.value : null, ...(t.state === 'pruned' ? { prunedAt: reached(t.history) } : {}) }));
}

/** Runs every trial not finished yet, at most spec.parallel at once; returns all finished trials. */
async function runTrials(ctx: Ctx, finished: Map<number, TrialRecord>, restart: Map<number, TrialParams>): Promise<TrialRecord[]> {
  const todo = Array.from({ length: ctx.total }, (_, i) => i).filter((i) => !finished.has(i));
  const running = new Set<Promise<void>>();
  const threads = Math.max(1, Math.floor(cpus().length / ctx.spec.parallel));
  let failure: unknown;
  for (const index of todo) {
    while (running.size >= ctx.spec.parallel) await Promise.race(running);
    if (failure || ctx.stopping) break;
    const params = restart.get(index) ?? ctx.enqueued[index] ?? suggestTrial(ctx.spec, ctx.dims, index, ctx.total, observations(finished), ctx.mode);
    const p: Promise<void> = runTrial(ctx, index, params, threads)
      .then((t) => {
        if (t.state !== 'interrupted') finished.set(index, t);
      }, (err) => {
        failure ??= err;
      })
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  if (failure) throw failure;
  return [...finished.values()];
}

async function runTrial(ctx: Ctx, index: number, params: TrialParams, threads: number): Promise<TrialRecord> {
  const { spec, base } = ctx;
  const attempt = randomUUID();
  const c = configOf(base, spec, params);
  const plannedEpochs = c.training.epochs * (spec.folds ?? 1);
  const config: TrainingConfig = {
    ...c,
    outputDir: join(base.outputDir, `sweep-${ctx.runId.slice(0, 8)}`, `trial-${index}`),
    tracking: { ...c.tracking, runName: `${base.tracking.runName ?? 'sweep'}-trial-${index}` },
  };
  const enqueued = index < ctx.enqueued.length;
  const trial: TrialRecord = { index, params, state: 'running', value: null, epochs: 0, plannedEpochs, attempt, history: new Map(), ...(enqueued ? { enqueued } : {}) };
  const tags = { [TAGS.parent]: ctx.runId, [TAGS.trial]: String(index), [TAGS.attempt]: attempt, [TAGS.params]: JSON.stringify(params), 'mlx_train.sweep.planned_epochs': String(plannedEpochs), ...(enqueued ? { [TAGS.enqueued]: 'true' } : {}) };
  ctx.log(`trial ${index}${enqueued ? ' (enqueued)' : ''}: ${Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`).join(' ')}`);
  const job: TrialJob = { type: 'trial', index, config, tags, metric: spec.metric, resource: spec.pruner.resource };
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
  const child = fork(workerPath, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  let done: Extract<WorkerMessage, { type: 'done' }> | undefined;
  let chain = Promise.resolve();
  await new Promise<void>((settle) => {
    child.on('message', (m: WorkerMessage) => {
      // One message at a time, in order: a report's metric is logged before the next report is decided.
      chain = chain.then(() => onMessage(ctx, trial, child, m)).catch((err) => ctx.log(`warning: sweep: trial ${index}: ${(err as Error).message}`));
      if (m.type === 'done') done = m;
    });
    child.on('exit', () => settle());
    child.send(job);
  });
  await chain;
  trial.epochs = Math.max(trial.epochs, done?.epochs ?? 0);
  if (!done) {
    trial.state = 'failed';
    trial.reason = `the worker process exited with code ${child.exitCode ?? child.signalCode} before finishing`;
  } else {
    if (done.state === 'interrupted') ctx.stopping = true;
    trial.state = done.state;
    trial.value = done.value;
    trial.reason = done.reason;
  }
  await recordOutcome(ctx.store, trial, ctx.experimentId);
  const shown = trial.value === null ? '-' : trial.value.toFixed(4);
  const freed = trial.state === 'pruned' ? removeCheckpoints(config, spec.folds) : 0;
  const removed = freed ? `; its checkpoints removed (${(freed / 2 ** 20).toFixed(0)} MiB)` : '';
  ctx.log(`trial ${index}: ${trial.state} (${spec.metric} ${shown}, ${trial.epochs}/${plannedEpochs} epochs)${trial.reason ? `: ${trial.reason}` : ''}${removed}`);
  return trial;
}

/**
 * Deletes a pruned trial's checkpoint folders (its own, or each fold's) and returns the bytes freed. They
 * hold unfinished models of a config the search gave up on, ~3 checkpoints per fold, which across a
 * 24-trial k-fold sweep came to gigabytes; its runs, metrics and plots stay, and so does the best
 * checkpoint each of its finished folds logged to the tracking store.
 */
function removeCheckpoints(config: TrainingConfig, folds: number | null): number {
  const dirs = folds ? Array.from({ length: folds }, (_, i) => checkpointDirOf(foldConfig(config, i))) : [checkpointDirOf(config)];
  let bytes = 0;
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) bytes += lstatSync(join(dir, name)).size;
    rmSync(dir, { recursive: true, force: true });
  }
  return bytes;
}

async function onMessage(ctx: Ctx, trial: TrialRecord, child: ChildProcess, m: WorkerMessage): Promise<void> {
  if (m.type === 'run') {
    // A k-fold trial's callback sees its fold run; the trial run is that run's parent.
    if (m.fold === undefined) trial.runId = m.runId;
    else if (!trial.runId) trial.runId = (await ctx.store.getRun(m.runId)).data.tags[TAGS.parent];
  } else if (m.type === 'report') {
    trial.history.set(m.resource, m.value);
    trial.epochs = Math.max(trial.epochs, m.epochs);
    const { folds, pruner } = ctx.spec;
    const planned = pruner.resource === 'folds' ? folds! : trial.plannedEpochs;
    // Counting epochs with folds, rungs stay inside the first fold: there every trial reports the same fold at
    // the same epoch, while a later resource means another fold (or another epoch of it) for trials of other lengths.
    const horizon = folds && pruner.resource === 'epochs' ? trial.plannedEpochs / folds : planned;
    const decision = ctx.pruner.report(trial.index, m.resource, m.value, planned, horizon);
    if (child.connected) child.send({ type: 'decision', seq: m.seq, ...decision });
    if (trial.runId && Number.isFinite(m.value)) await ctx.store.logMetric(trial.runId, OBJECTIVE_METRIC, m.value, { step: m.resource });
  }
}

/** Logs `text` as the artifact `name` of a run. */
export async function logText(store: TrackingClient, runId: string, name: string, text: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mlx-train-sweep-'));
  try {
    writeFileSync(join(dir, name), text);
    await store.logArtifact(runId, join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

