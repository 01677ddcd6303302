/**
 * The library hooks of `new Trainer({ …, loss, metrics })`: a custom training loss and custom metrics,
 * typed here. Custom metrics see predictions and labels in the task's own form, so the hook need not
 * know how the head encodes them.
 */
import type { TaskKind } from '../../data/targets.js';

/**
 * Predictions in the task's form: `values` are class ids (classification, ordinal), 0/1 per label
 * (multilabel, row-major [n, width]) or the predicted value in target units (regression); `outputs` are
 * the head's raw outputs ([n, width]: class probabilities, label probabilities, cumulative "y > k"
 * probabilities, or the standardised value).
 */
export interface TaskPredictions {
  task: TaskKind;
  values: Int32Array | Float32Array | Float64Array;
  outputs: Float32Array;
  width: number;
}

/**
 * Custom metrics: predictions and labels (in the same form as `predictions.values`) → `{name: value}`.
 * Each value is logged as `val_<name>` (camelCase names in snake_case) and can be early stopping's monitor.
 */
export type CustomMetrics = (predictions: TaskPredictions, labels: TaskPredictions['values']) => Record<string, number>;

/** `my_metric` / `myMetric` → `myMetric`: the EvalMetrics key that logs as `val_my_metric` and a monitor finds. */
export function camelMetricKey(name: string): string {
  return name.replace(/^(val|eval|validation)[_/.]/, '').replace(/_([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}
