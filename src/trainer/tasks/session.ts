/**
 * The task glue the Trainer calls (kept out of trainer.ts): data options for the task, the monitor check,
 * evaluation, the run report's evaluation, and what is saved beside a model so predictions undo the
 * target scaling and write the task's form.
 */
import type { TrainingConfig } from '../../config/schema.js';
import type { DataOptions, PreparedData } from '../../data/dataset.js';
import { type TargetScaling, type TaskKind } from '../../data/targets.js';
import { ConfigError } from '../../errors.js';
import { checkMonitorName, type ClassifierModule, type EvalSource, type EvaluationResult } from '../evaluate.js';
import type { CustomMetrics } from './hooks.js';
import type { TaskHead } from './heads.js';
import { evaluateTask } from './evaluate.js';
import { metricInfo, metricsOf } from './metric-table.js';

/** The data options that say what the labels are. */
export function taskDataOptions(c: TrainingConfig, savedScaling?: TargetScaling | null): Pick<DataOptions, 'task' | 'labelColumns' | 'labelDelimiter' | 'targetScaling' | 'savedScaling'> {
  return { task: c.model.task, labelColumns: c.data.labelColumns, labelDelimiter: c.data.labelDelimiter, targetScaling: c.data.targetScaling, savedScaling: savedScaling ?? null };
}

/** `task: regression (inferred: …)`: the line training logs and `config` prints. */
export function describeTask(data: Pick<PreparedData, 'targets'>): string {
  const t = data.targets;
  const scaling = t.scaling && (t.scaling.mean !== 0 || t.scaling.std !== 1) ? `; target standardised with mean ${t.scaling.mean.toPrecision(6)}, std ${t.scaling.std.toPrecision(6)}` : '';
  return `task: ${t.task} (${t.reason})${scaling}`;
}

/**
 * Checks early stopping's monitor before training: it must be a metric the task reports (the metric
 * table), or may be a custom metric's name when a metrics hook is given (checked at the first
 * evaluation then). `task` undefined (not read yet): any task's metric passes. Also warns when the
 * configured mode runs against the metric's direction (val_r2 with mode min picks the worst model).
 */
export function checkTaskMonitor(monitor: string, mode: 'min' | 'max', task: TaskKind | undefined, customMetrics: boolean, warn?: (m: string) => void): void {
  const info = metricInfo(monitor);
  const fits = info && (task === undefined || info.tasks.includes(task));
  if (!fits && !customMetrics) {
    if (task === undefined || task === 'classification') {
      try {
        checkMonitorName(monitor);
        return;
      } catch (err) {
        if (task === 'classification' || !info) throw new ConfigError(`training.earlyStopping.monitor: ${(err as Error).message}`);
      }
    }
    const names = metricsOf(task ?? 'classification').map((m) => m.name);
    throw new ConfigError(`training.earlyStopping.monitor: '${monitor}' is not reported for model.task ${task}; available: ${names.join(', ')} (or a name the metrics hook returns)`);
  }
  if (info && info.mode !== mode) warn?.(`training.earlyStopping.mode is ${mode} but ${info.name} is better when ${info.mode === 'max' ? 'higher' : 'lower'}: set training.earlyStopping.mode: ${info.mode}`);
}

/** What the run report plots: classification's full evaluation, ordinal's confusion matrix, nothing for the others. */
export async function reportEvaluation(model: ClassifierModule, source: EvalSource, head: TaskHead, custom?: CustomMetrics): Promise<EvaluationResult | undefined> {
  if (head.task === 'regression' || head.task === 'multilabel') return undefined;
  const e = await evaluateTask(model, source, head, custom);
  const labels = e.labels as Int32Array;
  return head.task === 'classification' ? { ...e, labels } : ({ metrics: e.metrics, labels, rows: e.rows } as EvaluationResult);
}

/** The task facts saved beside the model (labels.json) so a later Trainer rebuilds the same targets. */
export function savedTaskInfo(data: PreparedData): Record<string, unknown> {
  const t = data.targets;
  return { task: t.task, columns: t.columns, ...(t.scaling ? { scaling: t.scaling } : {}), ...(t.delimiter ? { delimiter: t.delimiter } : {}) };
}

/** A regression scaling read back from a checkpoint's trainer state or labels.json; null when absent or malformed. */
export function scalingFrom(value: unknown): TargetScaling | null {
  const s = value as TargetScaling | undefined;
  return s && typeof s.mean === 'number' && typeof s.std === 'number' && Number.isFinite(s.mean) && s.std > 0 ? { mean: s.mean, std: s.std } : null;
}
