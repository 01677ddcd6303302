/**
 * The training loop: epochs of planned batches → optimizer steps (with accumulation and memory
 * back-off) → callbacks, evaluation, checkpoints. Callbacks run between steps, never inside one; they
 * steer the loop only through TrainerControl. SIGINT finishes the current step, checkpoints and stops.
 */
import * as mx from '../core/index.js';
import type { Batch } from '../data/collate.js';
import type { DataLoader } from '../data/loader.js';
import { MlxTrainError } from '../errors.js';
import { crossEntropy, focalLoss } from '../nn/losses.js';
import type { Module } from '../nn/index.js';
import { BatchSizer, isOutOfMemory } from './batch-size.js';
import { LeakAlarm, memorySnapshot } from './memory.js';
import type { DynamicLossScaler } from './precision.js';
import { learningRateAt, resetControl } from './state.js';
import type { StepBatch, StepResult, TrainStep } from './step.js';
import type { Callback, EvalMetrics, StepMetrics, TrainerControl, TrainerState } from './types.js';

export class NonFiniteLossError extends MlxTrainError {
  constructor(message: string) {
    super(message, 'NON_FINITE_LOSS');
  }
}

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
  if (!b.labels) throw new MlxTrainError('a training batch has no labels', 'DATA_ERROR');
  return { inputIds: b.inputIds, attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds, labels: b.labels, size: b.size };
}

/** Whether `value` improves on `best` for the monitored metric. */
export function improves(value: number, best: number | undefined, mode: 'min' | 'max', minDelta = 0): boolean {
  if (best === undefined) return Number.isFinite(value);
  return mode === 'min' ? value < best - minDelta : value > best + minDelta;
}

/** Runs one optimizer step over the loader batches in `pending`, backing off on memory trouble. */
function optimizerStep(ctx: LoopContext, pending: Batch[], lr: number): StepResult {
  const { step, sizer } = ctx;
  step.optimizer.learningRate = lr;
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

function nonFinite(ctx: LoopContext, result: StepResult, batchIndex: number): NonFiniteLossError {
  const s = ctx.state;
  const what = Number.isFinite(result.loss) ? `the gradient norm is ${result.gradNorm}` : `the loss is ${result.loss}`;
  return new NonFiniteLossError(
    `training diverged at step ${s.globalStep + 1} (epoch ${s.epoch + 1}, batch ${batchIndex}): ${what}. Lower training.learningRate, enable training.maxGradNorm, or set training.nanPolicy=skip to skip such steps`,
  );
}

/** Trains until the configured epochs are done or a callback/SIGINT stops it. */
export async function trainLoop(ctx: LoopContext): Promise<void> {
  const { state, control, callbacks } = ctx;
  const t = state.config.training;
  const warmupSteps = Math.round(t.warmupRatio * state.totalSteps);
  const leak = new LeakAlarm();
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
        const lr = learningRateAt(state.globalStep, { learningRate: t.learningRate, schedule: t.schedule, warmupSteps, totalSteps: state.totalSteps });
        let result: StepResult;
        try {
          result = optimizerStep(ctx, pending, lr);
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
          learningRate: lr,
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
          state.memory = memorySnapshot();
          const alarm = leak.add(state.memory.rssBytes);
          if (alarm) ctx.warn(alarm);
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

async function actOnControl(ctx: LoopContext): Promise<void> {
  const { state, control, callbacks } = ctx;
  if (control.shouldEvaluate) {
    const metrics = await ctx.evaluate();
    state.lastEval = metrics;
    const es = state.config.training.earlyStopping;
    const value = metricValue(metrics, es.monitor);
    if (value !== undefined && improves(value, state.best?.value, es.mode, 0)) state.best = { metric: es.monitor, value, step: state.globalStep };
    await emit(callbacks, 'onEvaluate', state, control, metrics);
  }
  if (control.shouldSave) {
    const path = await ctx.save();
    await emit(callbacks, 'onSave', state, control, path);
  }
  resetControl(control);
}

/** `val_loss` / `val_accuracy` / `accuracy` → the value in the metrics. */
export function metricValue(metrics: EvalMetrics, name: string): number | undefined {
  const key = name.replace(/^val_/, '');
  const v = metrics[key];
  return typeof v === 'number' ? v : undefined;
}

/** Logits of every batch of `loader` in order (eval mode), as host arrays. */
export async function predictLogits(model: Module, loader: DataLoader): Promise<{ logits: Float32Array[]; labels: number[]; rows: number[] }> {
  const wasTraining = model.training;
  model.eval();
  const logits: Float32Array[] = [];
  const labels: number[] = [];
  const rows: number[] = [];
  try {
    for await (const batch of loader.epoch(0)) {
      try {
        const out = mx.tidy(() => {
          const z = (model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds }) as mx.Array).astype('float32');
          mx.eval(z);
          return z;
        });
        const flat = out.toTypedArray() as Float32Array;
        const c = out.shape[1];
        for (let i = 0; i < batch.size; i++) logits.push(flat.slice(i * c, (i + 1) * c));
        out.dispose();
        if (batch.labels) labels.push(...(batch.labels.toTypedArray() as Int32Array));
        rows.push(...batch.rows);
      } finally {
        batch.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  return { logits, labels, rows };
}

/** Loss, accuracy, precision/recall/F1 (binary: class 1; else macro), ROC AUC (binary) and the confusion matrix. */
export function classificationMetrics(logits: Float32Array[], labels: number[], numClasses: number): EvalMetrics {
  const n = labels.length;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let lossSum = 0;
  const positiveScores: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const z = logits[i];
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((s, v) => s + Math.exp(v - max), 0));
    lossSum += lse - z[labels[i]];
    let pred = 0;
    for (let c = 1; c < z.length; c++) if (z[c] > z[pred]) pred = c;
    confusion[labels[i]][pred]++;
    if (numClasses === 2) positiveScores.push([Math.exp(z[1] - lse), labels[i]]);
  }
  const correct = confusion.reduce((s, row, i) => s + row[i], 0);
  const prf = (c: number) => {
    const tp = confusion[c][c];
    const fp = confusion.reduce((s, row, i) => s + (i === c ? 0 : row[c]), 0);
    const fn = confusion[c].reduce((s, v, j) => s + (j === c ? 0 : v), 0);
    const p = tp + fp ? tp / (tp + fp) : 0;
    const r = tp + fn ? tp / (tp + fn) : 0;
    return [p, r, p + r ? (2 * p * r) / (p + r) : 0];
  };
  const classes = numClasses === 2 ? [1] : Array.from({ length: numClasses }, (_, c) => c);
  const [precision, recall, f1] = classes.map(prf).reduce((a, b) => a.map((v, i) => v + b[i] / classes.length), [0, 0, 0]);
  const metrics: EvalMetrics = { loss: lossSum / Math.max(1, n), accuracy: correct / Math.max(1, n), precision, recall, f1, confusionMatrix: confusion };
  if (numClasses === 2) metrics.rocAuc = rocAuc(positiveScores);
  return metrics;
}

/** Area under the ROC curve by the rank-sum rule (ties get average ranks). */
function rocAuc(scored: [number, number][]): number | undefined {
  const pos = scored.filter(([, y]) => y === 1).length;
  const neg = scored.length - pos;
  if (pos === 0 || neg === 0) return undefined;
  const sorted = [...scored].sort((a, b) => a[0] - b[0]);
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j][0] === sorted[i][0]) j++;
    const avg = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (sorted[k][1] === 1) rankSum += avg;
    i = j;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** The mean loss of a classification batch, per the training config. */
export function classificationLoss(config: { loss: 'cross_entropy' | 'focal'; labelSmoothing: number; classWeights: number[] | null }) {
  const classWeights = config.classWeights ? mx.keep(mx.array(config.classWeights, 'float32')) : null;
  return (model: Module, batch: StepBatch): mx.Array => {
    const logits = model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds }) as mx.Array;
    if (config.loss === 'focal') {
      return crossEntropyFocal(logits, batch.labels, classWeights);
    }
    return crossEntropy(logits, batch.labels, { reduction: 'mean', labelSmoothing: config.labelSmoothing, classWeights });
  };
}

function crossEntropyFocal(logits: mx.Array, labels: mx.Array, classWeights: mx.Array | null): mx.Array {
  return focalLoss(logits, labels, { reduction: 'mean', ...(classWeights ? { alpha: classWeights } : {}) });
}
