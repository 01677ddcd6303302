/**
 * How a cross-validation is reported. Each fold's returned model is the checkpoint selected on that
 * fold's validation split, so its figures there are optimistic ("selected on the fold"); the fold's
 * last-epoch model had nothing selected on the fold, so its figures are an honest held-out estimate.
 * Both are logged (`val_*`/`oof_*` and `last_epoch_val_*`/`oof_last_epoch_*`) and printed, labelled.
 */
import { metricsForLogging } from './evaluate.js';
import type { CrossValidationResult } from './kfold.js';
import type { EvalMetrics } from './types.js';

/** The last-epoch figures as run metrics (empty when the folds gave none). */
export function lastEpochMetrics(cv: CrossValidationResult): Record<string, number> {
  const last = cv.lastEpoch;
  if (!last) return {};
  const out: Record<string, number> = { ...metricsForLogging(last.metrics, 'oof_last_epoch_') };
  for (const [key, v] of Object.entries(last.mean)) out[`last_epoch_${key}`] = v;
  for (const [key, v] of Object.entries(last.std)) out[`last_epoch_${key}_std`] = v;
  return out;
}

/** Lines for the log and the CLI: the honest figure first, then the selected one, each named. */
export function describeCrossValidation(cv: CrossValidationResult): string {
  // The task's headline metric: accuracy (classification), r2 (regression), f1_micro (multilabel), qwk (ordinal).
  const key = { classification: 'accuracy', regression: 'r2', multilabel: 'f1Micro', ordinal: 'qwk' }[cv.task];
  const name = key.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);
  const f = (v: number | undefined) => (v === undefined ? 'n/a' : v.toFixed(4));
  const line = (what: string, mean: Record<string, number>, std: Record<string, number>, oof: EvalMetrics) =>
    `  ${what}: val_${name} ${f(mean[`val_${name}`])} ± ${f(std[`val_${name}`])}, out-of-fold ${name} ${f(oof[key] as number | undefined)}`;
  const last = cv.lastEpoch;
  return [
    `cross-validation (${cv.k} folds):`,
    ...(last ? [line('last epoch (held out, nothing selected on the fold: the honest estimate)', last.mean, last.std, last.metrics)] : []),
    line('best checkpoint (selected on the fold it is scored on: optimistic)', cv.mean, cv.std, cv.outOfFold.metrics),
  ].join('\n');
}
