/**
 * The training loop: epochs of planned batches → optimizer steps (with accumulation and memory
 * back-off) → callbacks, evaluation, checkpoints. Callbacks run between steps, never inside one; they
 * steer the loop only through TrainerControl. SIGINT finishes the current step, checkpoints and stops.
 */
import * as mx from '../core/index.js';
import type { Batch } from '../data/collate.js';
import type { DataLoader } from '../data/loader.js';
import { ConfigError, DataError, TrainingError } from '../errors.js';
import type { Module } from '../nn/index.js';
import { BatchSizer, isOutOfMemory } from './batch-size.js';
import { checkMonitorName, isImprovement, metricKey, monitoredValue } from './evaluate.js';
import { memorySnapshot } from './memory.js';
import type { DynamicLossScaler } from './precision.js';
import { currentLearningRate } from './optimizer-setup.js';
import { resetControl } from './state.js';
import type { StepBatch, StepResult, TrainStep } from './step.js';
import type { Callback, EvalMetrics, StepMetrics, TrainerControl, TrainerState } from './types.js';

/** Everything the loop drives; built by Trainer. */
export interface LoopContext {
  model: Module;
  step: TrainStep;
  sizer: BatchSizer;
  scaler: DynamicLossScaler | null;
  callbacks: Callback[];
  state: TrainerState & { skippedSteps?: number; interrupted?: boolean; epochBatching?: Record<string, number> };
  control: TrainerControl;
  trainLoader: (batching: Record<string, number>) => DataLoader;
  evaluate: () => Promise<EvalMetrics>;
  /** Checks the monitor name before the first step (default: a classification metric); the Trainer checks it per task. */
  checkMonitor?: (monitor: string) => void;
  save: () => Promise<string>;
  /** Called after a memory back-off so the loop can log it. */
  warn: (message: string) => void;
}

export async function emit<K extends keyof Callback>(callbacks: Callback[], hook: K, ...args: unknown[]): Promise<void> {
  for (const cb of callbacks) {
    const fn = cb[hook] as ((...a: unknown[]) => unknown) | undefined;
    if (fn) await fn.apply(cb, args);
  }
}

export function toStepBatch(b: Batch): StepBatch {
  if (!b.labels) throw new DataError('a training batch has no labels');
  return { inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds, labels: b.labels, size: b.size };
}

/** Runs one optimizer step over the loader batches in `pending`, backing off on memory trouble. */
function optimizerStep(ctx: LoopContext, pending: Batch[]): StepResult {
  const { step, sizer } = ctx;
  const largest = Math.max(...pending.map((b) => b.size));
  const checkFirst = ctx.state.config.training.nanPolicy === 'skip' || ctx.scaler !== null;
  for (;;) {
    const micro: StepBatch[] = [];
    const owned: mx.Array[] = [];
    for (const b of pending) {
      const parts = sizer.split(toStepBatch(b));
      if (parts.length > 1) for (const m of parts) owned.push(m.inputIds, m.attentionMask, m.tokenTypeIds, m.labels);
      micro.push(...parts);
    }
    const guard = sizer.options.memoryLimitBytes !== null ? snapshotState(ctx) : null;
    mx.resetPeakMemory();
    try {
      const result = step.run(micro, { checkFiniteFirst: checkFirst });
      const peak = mx.getPeakMemory();
      if (sizer.observe(peak, largest)) {
        ctx.warn(`step ${ctx.state.globalStep + 1}: MLX peak memory ${(peak / 2 ** 20).toFixed(1)} MB is over the ${(sizer.options.memoryLimitBytes! / 2 ** 20).toFixed(1)} MB budget; splitting each batch into ${sizer.splits} micro-batches`);
      }
      return result;
    } catch (err) {
      if (!isOutOfMemory(err) || !guard || !sizer.backOff(largest)) throw err;
      restoreState(ctx, guard);
      ctx.warn(`step ${ctx.state.globalStep + 1}: out of memory; retrying with each batch split into ${sizer.splits} micro-batches`);
    } finally {
      guard?.release();
      mx.dispose(owned);
    }
  }
}

interface StateGuard {
  params: [string, mx.Array][];
  optimizer: [string, mx.Array][];
  key: mx.Array;
  release(): void;
}

/** New handles on the current weights, optimizer state and key (no copies), to roll a failed step back. */
function snapshotState(ctx: LoopContext): StateGuard {
  const alias = (pairs: [string, unknown][]) => pairs.filter(([, v]) => v instanceof mx.Array).map(([k, v]) => [k, mx.keep(mx.array(v as mx.Array))] as [string, mx.Array]);
  const params = alias(mx.treeFlatten(ctx.model.parameters()));
  const optimizer = alias(mx.treeFlatten(ctx.step.optimizer.state));
  const key = mx.keep(mx.random.getState());
  const all = [...params.map(([, v]) => v), ...optimizer.map(([, v]) => v), key];
  return { params, optimizer, key, release: () => all.forEach((a) => a.dispose()) };
}

function restoreState(ctx: LoopContext, g: StateGuard): void {
  ctx.model.update(mx.treeUnflatten(g.params.map(([k, v]) => [k, mx.keep(mx.array(v))])) as Record<string, unknown>, false);
  const state = ctx.step.optimizer.state as Record<string, any>;
  for (const [path, v] of g.optimizer) {
    const keys = path.split('.');
    let node = state;
    for (const k of keys.slice(0, -1)) node = node[k];
    node[keys[keys.length - 1]] = mx.keep(mx.array(v));
  }
  mx.random.setState(g.key);
}

function nonFinite(ctx: LoopContext, result: StepResult, batchIndex: number): TrainingError {
  const s = ctx.state;
  const what = Number.isFinite(result.loss) ? `the gradient norm is ${result.gradNorm}` : `the loss is ${result.loss}`;
  return new TrainingError(
    `training diverged at step ${s.globalStep + 1} (epoch ${s.epoch + 1}, batch ${batchIndex}): ${what}. Lower training.learningRate, enable training.maxGradNorm, or set training.nanPolicy=skip to skip such steps`,
  );
}

/** Trains until the configured epochs are done or a callback/SIGINT stops it. */
export async function trainLoop(ctx: LoopContext): Promise<void> {
  const { state, control, callbacks } = ctx;
  const t = state.config.training;
  (ctx.checkMonitor ?? checkMonitor)(t.earlyStopping.monitor);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    ctx.warn('interrupted: finishing the current step, then saving a checkpoint (press Ctrl-C again to quit now)');
  };
  process.on('SIGINT', onSigint);
  try {
    epochs: for (; state.epoch < t.epochs; state.epoch++) {
      if (state.batchIndex === 0) {
        state.epochBatching = ctx.sizer.batching();
        await emit(callbacks, 'onEpochStart', state, control);
      }
      const loader = ctx.trainLoader(state.epochBatching ?? ctx.sizer.batching());
      const numBatches = loader.numBatches(state.epoch);
      let pending: Batch[] = [];
      let started = performance.now();
      for await (const batch of loader.epoch(state.epoch, { startBatch: state.batchIndex })) {
        if (pending.length === 0) started = performance.now();
        pending.push(batch);
        if (pending.length < t.gradientAccumulationSteps && batch.index < numBatches - 1) continue;
        let result: StepResult;
        try {
          result = optimizerStep(ctx, pending);
        } finally {
          for (const b of pending) b.dispose();
        }
        const samples = pending.reduce((n, b) => n + b.size, 0);
        const tokens = pending.reduce((n, b) => n + b.tokens, 0);
        pending = [];
        state.batchIndex = batch.index + 1;
        const applied = ctx.scaler ? ctx.scaler.update(result.finite) && result.finite : result.finite;
        if (!applied) {
          if (t.nanPolicy === 'stop' && !ctx.scaler) throw nonFinite(ctx, result, batch.index);
          state.skippedSteps = (state.skippedSteps ?? 0) + 1;
          if (!ctx.scaler) ctx.warn(`step ${state.globalStep + 1}: ${Number.isFinite(result.loss) ? 'non-finite gradients' : `loss ${result.loss}`}; skipped (nanPolicy=skip)`);
          continue;
        }
        state.globalStep++;
        const stepTimeMs = performance.now() - started;
        const metrics: StepMetrics = {
          loss: result.loss,
          // The optimizer's schedule set the rate of this step; the loop only reads it.
          learningRate: currentLearningRate(ctx.step.optimizer),
          gradNorm: result.gradNorm,
          batchSize: samples,
          tokens,
          stepTimeMs,
          samplesPerSecond: (samples * 1000) / stepTimeMs,
          tokensPerSecond: (tokens * 1000) / stepTimeMs,
        };
        state.lastStep = metrics;
        if (state.globalStep % t.logEverySteps === 0) {
          control.shouldLog = true;
          // The leak alarm is the MemoryProfiler callback's; the loop only records the snapshot.
          state.memory = memorySnapshot();
        }
        if (t.evalEverySteps > 0 && state.globalStep % t.evalEverySteps === 0) control.shouldEvaluate = true;
        if (interrupted) {
          control.shouldSave = true;
          control.shouldStop = true;
        }
        await emit(callbacks, 'onStepEnd', state, control);
        await actOnControl(ctx);
        if (control.shouldStop) break epochs;
        started = performance.now();
      }
      // End of epoch: the position to resume from is the start of the next one.
      state.epoch++;
      state.batchIndex = 0;
      ctx.sizer.endEpoch();
      if (t.evalEverySteps === 0) control.shouldEvaluate = true;
      await emit(callbacks, 'onEpochEnd', state, control);
      await actOnControl(ctx);
      state.epoch--;
      if (control.shouldStop || interrupted) {
        state.epoch++;
        break;
      }
    }
    state.interrupted = interrupted;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The best model is picked on the early-stopping monitor: reject an unknown name before training starts. */
export function checkMonitor(monitor: string): void {
  try {
    checkMonitorName(monitor);
  } catch (err) {
    throw new ConfigError(`training.earlyStopping.monitor: ${(err as Error).message}`);
  }
}

async function actOnControl(ctx: LoopContext): Promise<void> {
  const { state, control, callbacks } = ctx;
  if (control.shouldEvaluate) {
    const metrics = await ctx.evaluate();
    state.lastEval = metrics;
    const es = state.config.training.earlyStopping;
    // The best model is judged on the early-stopping monitor, whether or not early stopping is on.
    // The name was checked before training; a metric can still be undefined for one evaluation (ROC AUC
    // when the split lacks a class), and then this evaluation cannot be the best.
    const value = typeof metrics[metricKey(es.monitor)] === 'number' ? monitoredValue(metrics, es.monitor) : undefined;
    if (value !== undefined && isImprovement(value, state.best?.value, es.mode, 0)) state.best = { metric: es.monitor, value, step: state.globalStep };
    await emit(callbacks, 'onEvaluate', state, control, metrics);
  }
  if (control.shouldSave) {
    const path = await ctx.save();
    await emit(callbacks, 'onSave', state, control, path);
  }
  resetControl(control);
}

/** Kept here for callers of the loop module; the loss lives in loss.ts. */
export { classificationLoss } from './loss.js';
