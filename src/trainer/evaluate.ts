/**
 * Evaluation: the model in eval mode over a loader, one MLX eval per batch (loss + probabilities
 * together), host copies accumulated into EvalMetrics; plus the helpers that pick the best model on a
 * monitored metric (min or max mode), shared by early stopping, checkpointing and k-fold.
 */
import * as mx from '../core/index.js';
import { tidy } from '../core/scope.js';
import type { Batch } from '../data/collate.js';
import type { DataLoader } from '../data/loader.js';
import { nearestName } from '../data/nearest.js';
import { crossEntropy } from '../nn/losses.js';
import type { Module } from '../nn/module.js';
import { classificationMetrics, MetricAccumulator } from './metrics.js';
import { modeOf } from './tasks/metric-table.js';
import type { EvalMetrics } from './types.js';

type MxArray = mx.Array;

/** The arrays evaluation needs from a batch (a data-pipeline Batch or the trainer's StepBatch). */
export interface EvalBatch {
  inputIds: MxArray;
  attentionMask: MxArray;
  tokenTypeIds?: MxArray | null;
  labels: MxArray | null;
  /** Example indices of the batch rows (data-pipeline batches have them). */
  rows?: number[];
  dispose?(): void;
}

/** Where evaluation batches come from: a DataLoader (its epoch 0, in fixed order) or any (async) iterable. */
export type EvalSource = DataLoader | Iterable<EvalBatch> | AsyncIterable<EvalBatch>;

/** Mean loss of a batch from its logits and labels. */
export type EvalLossFn = (logits: MxArray, labels: MxArray) => MxArray;

export const meanCrossEntropy: EvalLossFn = (logits, labels) => crossEntropy(logits, labels, { reduction: 'mean' });

/** A classifier: token ids (+ mask, type ids) → [batch, numClasses] logits. */
export type ClassifierModule = Module & { forward(inputIds: MxArray, inputs?: { attentionMask?: MxArray | null; tokenTypeIds?: MxArray | null }): MxArray };

const softmaxOutputs = (logits: MxArray) => mx.softmax(logits.astype('float32'), -1);

function batchesOf(source: EvalSource): Iterable<EvalBatch> | AsyncIterable<EvalBatch> {
  const loader = source as DataLoader;
  if (typeof loader.epoch === 'function' && typeof loader.numBatches === 'function') return loader.epoch(0) as AsyncIterable<Batch>;
  return source as Iterable<EvalBatch> | AsyncIterable<EvalBatch>;
}

export interface BatchOutputs {
  rows: number[] | undefined;
  /** Class ids, or float targets (multi-label, regression). */
  labels: Int32Array | Float32Array | null;
  /** Row-major [size, numClasses] softmax probabilities (or what `outputs` makes of the logits: [size, width]). */
  probabilities: Float32Array;
  numClasses: number;
  /** Mean loss of the batch (labelled batches only). */
  loss: number | undefined;
}

/**
 * Runs the model over every batch in eval mode (restoring the previous mode after) and hands each batch's
 * host outputs to `onBatch`. Each batch is one eval of its loss and probabilities; its arrays are freed
 * before the next batch.
 */
export async function forEachBatchOutput(
  model: ClassifierModule,
  source: EvalSource,
  onBatch: (out: BatchOutputs) => void,
  lossFn: EvalLossFn = meanCrossEntropy,
  outputs: (logits: MxArray) => MxArray = softmaxOutputs,
): Promise<void> {
  const wasTraining = model.training;
  model.eval();
  try {
    for await (const batch of batchesOf(source)) {
      try {
        onBatch(
          tidy(() => {
            const logits = model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds ?? null });
            if (logits.ndim !== 2) throw new RangeError(`evaluate: expected [batch, numClasses] logits but the model returned shape [${logits.shape.join(', ')}]`);
            const probabilities = outputs(logits);
            const loss = batch.labels ? lossFn(logits, batch.labels) : null;
            mx.eval(probabilities, loss ?? []);
            const labels = batch.labels ? batch.labels.astype(batch.labels.dtype === 'float32' ? 'float32' : 'int32').toTypedArray() : null;
            return {
              rows: batch.rows,
              labels: labels as Int32Array | Float32Array | null,
              probabilities: probabilities.toTypedArray() as Float32Array,
              numClasses: probabilities.shape[1],
              loss: loss ? (loss.item() as number) : undefined,
            };
          }),
        );
      } finally {
        batch.dispose?.();
      }
    }
  } finally {
    model.train(wasTraining);
  }
}

export interface EvaluationResult {
  metrics: EvalMetrics;
  /** True class of each evaluated example, in evaluation order. */
  labels: Int32Array;
  /** Row-major [n, numClasses] probabilities, in evaluation order. */
  probabilities: Float32Array;
  /** Example indices in evaluation order, when the batches carry them. */
  rows: number[] | undefined;
}

/** evaluate() plus the labels and probabilities behind the metrics (for ROC plots and out-of-fold predictions). */
export async function evaluateDetailed(model: ClassifierModule, source: EvalSource, lossFn: EvalLossFn = meanCrossEntropy): Promise<EvaluationResult> {
  let acc: MetricAccumulator | null = null;
  let rows: number[] | undefined = [];
  await forEachBatchOutput(
    model,
    source,
    (out) => {
      if (!out.labels) throw new RangeError('evaluate: a batch has no labels; use predict() for unlabelled data');
      acc ??= new MetricAccumulator(out.numClasses);
      acc.add(out.labels, out.probabilities, out.loss);
      rows = out.rows && rows ? rows.concat(out.rows) : undefined;
    },
    lossFn,
  );
  if (!acc) throw new RangeError('evaluate: the loader produced no batches');
  const done = acc as MetricAccumulator;
  return { metrics: done.compute(), ...done.data(), rows };
}

/** Validation metrics of `model` over `source`; the loss is the sample-weighted mean of `lossFn` per batch. */
export async function evaluate(model: ClassifierModule, source: EvalSource, lossFn: EvalLossFn = meanCrossEntropy): Promise<EvalMetrics> {
  return (await evaluateDetailed(model, source, lossFn)).metrics;
}

/**
 * The paths of `model`'s floating weights that hold NaN (at most `limit`). Evaluation calls it only
 * when the loss came out non-finite, to tell "the weights are broken" from "the data is odd".
 */
export function nanWeights(model: Module, limit = 5): { paths: string[]; count: number } {
  const paths: string[] = [];
  let count = 0;
  for (const [path, v] of mx.treeFlatten(model.parameters()) as [string, unknown][]) {
    if (!(v instanceof mx.Array) || !mx.isFloating(v.dtype)) continue;
    const hasNan = mx.tidy(() => mx.any(mx.isnan(v)).item()) as boolean;
    if (hasNan && count++ < limit) paths.push(path);
  }
  return { paths, count };
}

// ---------------------------------------------------------------------------------------------------------
// Best-model selection on a monitored metric.

export type MonitorMode = 'min' | 'max';

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());

/** The numeric metrics under their logged names (`val_loss`, `val_f1_macro`, …); the confusion matrix is left out. */
export function metricsForLogging(metrics: EvalMetrics, prefix = 'val_'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[prefix + key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)] = value;
  }
  return out;
}

/** The EvalMetrics key a monitor names: `val_roc_auc` → `rocAuc`, `loss` → `loss`. */
export function metricKey(monitor: string): string {
  return camel(monitor.replace(/^(val|eval|validation)[_/.]/, ''));
}

/**
 * The value of a monitored metric. Accepts the logged name (`val_loss`, `val_roc_auc`, `eval_f1`) or the
 * EvalMetrics key (`loss`, `rocAuc`); an unknown name is an error listing the available ones.
 */
export function monitoredValue(metrics: EvalMetrics, monitor: string): number {
  const key = metricKey(monitor);
  const value = metrics[key];
  if (typeof value !== 'number') {
    const available = Object.keys(metricsForLogging(metrics));
    const hint = nearestName(monitor, available);
    throw new RangeError(`unknown monitored metric '${monitor}'${hint ? ` (did you mean '${hint}'?)` : ''}; available: ${available.join(', ')}`);
  }
  return value;
}

/**
 * Checks a monitor name before any training (so a typo does not surface after the first epoch): it must
 * name a metric that evaluation always reports. Throws the RangeError of monitoredValue (with the nearest
 * valid name) otherwise.
 */
export function checkMonitorName(monitor: string): void {
  // Every metric classificationMetrics reports, rocAuc included (both classes present).
  const sample = classificationMetrics({ labels: [0, 1], probabilities: [0.8, 0.2, 0.3, 0.7], numClasses: 2 });
  monitoredValue(sample, monitor);
}

/** The metric table's mode (rmse: min, r2: max, …); else 'min' for losses and errors, 'max' for everything else. */
export function defaultMode(monitor: string): MonitorMode {
  return modeOf(monitor) ?? (/loss|error/i.test(monitor) ? 'min' : 'max');
}

/** Whether `value` beats `best` by more than `minDelta` in the given direction (any finite value beats none). */
export function isImprovement(value: number, best: number | undefined, mode: MonitorMode, minDelta = 0): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === undefined || !Number.isFinite(best)) return true;
  return mode === 'min' ? value < best - minDelta : value > best + minDelta;
}

export interface BestMetric {
  metric: string;
  value: number;
  step: number;
}

/** Tracks the best value of one monitored metric across evaluations. */
export class BestMetricTracker {
  readonly monitor: string;
  readonly mode: MonitorMode;
  readonly minDelta: number;
  best: BestMetric | undefined;

  constructor(options: { monitor: string; mode?: MonitorMode; minDelta?: number }) {
    if (options.mode !== undefined && options.mode !== 'min' && options.mode !== 'max') throw new RangeError(`expected mode 'min' or 'max' but received ${String(options.mode)}`);
    if (options.minDelta !== undefined && !(options.minDelta >= 0)) throw new RangeError(`expected minDelta ≥ 0 but received ${options.minDelta}`);
    this.monitor = options.monitor;
    this.mode = options.mode ?? defaultMode(options.monitor);
    this.minDelta = options.minDelta ?? 0;
  }

  /** Records an evaluation; true when it is the new best (then `best` holds it). */
  update(metrics: EvalMetrics, step: number): boolean {
    const value = monitoredValue(metrics, this.monitor);
    if (!isImprovement(value, this.best?.value, this.mode, this.minDelta)) return false;
    this.best = { metric: this.monitor, value, step };
    return true;
  }

  stateDict(): Record<string, unknown> {
    return { best: this.best ?? null };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const best = state.best as BestMetric | null | undefined;
    this.best = best ?? undefined;
  }
}
