/**
 * Evaluation for every task: the task head reads the logits, the host outputs and labels of all batches
 * are pooled, and the head's metrics plus the user's custom metrics (Trainer's `metrics` hook) make
 * one EvalMetrics, logged, monitored and early-stopped on exactly like the built-in ones.
 */
import { camelMetricKey } from './hooks.js';
import type { CustomMetrics, TaskPredictions } from './hooks.js';
import { type ClassifierModule, type EvalSource, forEachBatchOutput } from '../evaluate.js';
import type { EvalMetrics } from '../types.js';
import type { TaskHead } from './heads.js';
import { ConfigError } from '../../errors.js';

export interface TaskEvaluation {
  metrics: EvalMetrics;
  /** Class ids, or float targets (standardised for regression), in evaluation order. */
  labels: Int32Array | Float32Array;
  /** Row-major [n, head.width] outputs (probabilities, cumulative probabilities, standardised values). */
  probabilities: Float32Array;
  rows: number[] | undefined;
}

function concat<T extends Int32Array | Float32Array>(parts: T[]): T {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new ((parts[0]?.constructor ?? Float32Array) as new (n: number) => T)(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The task's metrics of `model` over `source` (+ the custom metrics, under camelCase keys). */
export async function evaluateTask(model: ClassifierModule, source: EvalSource, head: TaskHead, custom?: CustomMetrics): Promise<TaskEvaluation> {
  const labels: (Int32Array | Float32Array)[] = [];
  const outputs: Float32Array[] = [];
  let rows: number[] | undefined = [];
  let lossSum = 0;
  let lossCount = 0;
  await forEachBatchOutput(
    model,
    source,
    (out) => {
      if (!out.labels) throw new RangeError('evaluate: a batch has no labels; use predict() for unlabelled data');
      labels.push(out.labels);
      outputs.push(out.probabilities);
      const size = out.probabilities.length / head.width;
      if (out.loss !== undefined) {
        lossSum += out.loss * size;
        lossCount += size;
      }
      rows = out.rows && rows ? rows.concat(out.rows) : undefined;
    },
    head.evalLoss,
    head.outputs,
  );
  if (outputs.length === 0) throw new RangeError('evaluate: the loader produced no batches');
  const allLabels = concat(labels);
  const allOutputs = concat(outputs);
  const metrics = head.metrics(allOutputs, allLabels, lossCount ? lossSum / lossCount : undefined);
  if (custom) Object.assign(metrics, customMetrics(custom, head.predictions(allOutputs), head.truth(allLabels)));
  return { metrics, labels: allLabels, probabilities: allOutputs, rows };
}

/** Runs the user's metrics hook; its names become camelCase EvalMetrics keys (logged as val_<snake_case>). */
export function customMetrics(custom: CustomMetrics, predictions: TaskPredictions, labels: TaskPredictions['values']): Record<string, number> {
  const values = custom(predictions, labels);
  if (values === null || typeof values !== 'object') throw new ConfigError(`the metrics hook must return {name: number} but returned ${String(values)}`);
  const out: Record<string, number> = {};
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number') throw new ConfigError(`the metrics hook returned ${JSON.stringify(v)} for '${name}'; expected a number`);
    if (name === 'confusionMatrix' || name === 'samples') throw new ConfigError(`the metrics hook may not replace '${name}'`);
    out[camelMetricKey(name)] = v;
  }
  return out;
}
