/**
 * The one table of validation metrics: for each task, the metrics evaluation reports, their logged
 * names (`val_<metric>`: what early stopping's monitor, k-fold summaries and sweeps name) and whether
 * lower or higher is better. Anything choosing a "best" run or step reads its mode from here.
 */
import type { TaskKind } from '../../data/targets.js';

export type MetricMode = 'min' | 'max';

export interface MetricInfo {
  /** The EvalMetrics key (camelCase). */
  key: string;
  /** The logged and monitored name. */
  name: string;
  mode: MetricMode;
  tasks: readonly TaskKind[];
  description: string;
}

const ALL: readonly TaskKind[] = ['classification', 'multilabel', 'regression', 'ordinal'];
const CLASS: readonly TaskKind[] = ['classification'];

const row = (key: string, mode: MetricMode, tasks: readonly TaskKind[], description: string): MetricInfo => ({
  key,
  name: `val_${key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)}`,
  mode,
  tasks,
  description,
});

export const METRIC_TABLE: readonly MetricInfo[] = [
  row('loss', 'min', ALL, 'the training objective on the validation split'),
  row('accuracy', 'max', ['classification', 'multilabel', 'ordinal'], 'share of rows right (multilabel: every label of the row right, the subset accuracy)'),
  row('precision', 'max', ['classification', 'multilabel', 'ordinal'], 'binary: of class 1; multi-class and ordinal: macro; multilabel: micro'),
  row('recall', 'max', ['classification', 'multilabel', 'ordinal'], 'as precision'),
  row('f1', 'max', ['classification', 'multilabel', 'ordinal'], 'as precision'),
  row('precisionMacro', 'max', ['classification', 'multilabel'], 'unweighted mean over classes / labels'),
  row('recallMacro', 'max', ['classification', 'multilabel'], 'unweighted mean over classes / labels'),
  row('f1Macro', 'max', ['classification', 'multilabel', 'ordinal'], 'unweighted mean over classes / labels'),
  row('precisionWeighted', 'max', CLASS, 'mean weighted by class support'),
  row('recallWeighted', 'max', CLASS, 'mean weighted by class support'),
  row('f1Weighted', 'max', CLASS, 'mean weighted by class support'),
  row('rocAuc', 'max', CLASS, 'ROC AUC (multi-class: one-vs-rest mean); absent when a class is missing'),
  row('precisionMicro', 'max', ['multilabel'], 'tp / (tp + fp) pooled over labels'),
  row('recallMicro', 'max', ['multilabel'], 'tp / (tp + fn) pooled over labels'),
  row('f1Micro', 'max', ['multilabel'], 'F1 pooled over labels'),
  row('subsetAccuracy', 'max', ['multilabel'], 'rows with every label right'),
  row('hammingLoss', 'min', ['multilabel'], 'share of wrong label cells'),
  row('rmse', 'min', ['regression'], 'root mean squared error, in target units'),
  row('mse', 'min', ['regression'], 'mean squared error, in target units squared'),
  row('mae', 'min', ['regression', 'ordinal'], 'mean absolute error (ordinal: in class steps)'),
  row('r2', 'max', ['regression'], 'coefficient of determination'),
  row('qwk', 'max', ['ordinal'], "quadratic weighted Cohen's kappa; absent when every row and prediction is one class"),
];

/** The table's rows for one task. */
export function metricsOf(task: TaskKind): MetricInfo[] {
  return METRIC_TABLE.filter((m) => m.tasks.includes(task));
}

/** The row a logged name (`val_rmse`), a bare one (`rmse`) or an EvalMetrics key names; undefined if none. */
export function metricInfo(name: string): MetricInfo | undefined {
  const bare = name.replace(/^(val|eval|validation|best_val|oof)[_/.]/, '');
  return METRIC_TABLE.find((m) => m.key === bare || m.name === `val_${bare}` || m.name === name);
}

/** Whether lower or higher is better for a metric of the table; undefined for a name it does not hold. */
export function modeOf(name: string): MetricMode | undefined {
  return metricInfo(name)?.mode;
}

/** The few figures `train` and the progress display show for a task's metrics (those present and finite). */
export function headline(metrics: Record<string, unknown>): string {
  const keys = ['accuracy', 'f1', 'qwk', 'rmse', 'mae', 'r2', 'loss', 'rocAuc'];
  return keys
    .filter((k) => typeof metrics[k] === 'number' && Number.isFinite(metrics[k] as number))
    .map((k) => `${k.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)} ${(metrics[k] as number).toFixed(4)}`)
    .join('  ');
}
