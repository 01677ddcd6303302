/**
 * Which model fit() hands back, described for the end-of-run report: the restored best checkpoint, or
 * the last weights (when the best was the last evaluation, or restoring was off). One place decides, so
 * the CLI summary and the `best_val_*` run metrics describe the same model.
 */
import type { EvalMetrics, TrainerState } from './types.js';

export interface ReturnedModel {
  /** 'best': a checkpoint was put back; 'last': the weights of the last step (which may be the best). */
  kind: 'best' | 'last';
  /** The optimizer step whose weights these are. */
  step: number;
  metrics?: EvalMetrics;
  checkpoint?: string;
}

interface FitOutcome {
  state: TrainerState;
  metrics?: EvalMetrics;
  checkpoint?: string;
  restoredBest?: { step: number; checkpoint: string; metrics?: EvalMetrics };
}

export function returnedModel(result: FitOutcome): ReturnedModel {
  const b = result.restoredBest;
  if (b) return { kind: 'best', step: b.step, metrics: b.metrics, checkpoint: b.checkpoint };
  return { kind: 'last', step: result.state.globalStep, metrics: result.metrics, checkpoint: result.checkpoint };
}

/**
 * The metrics of the best model when it is the one fit() returns: the restored checkpoint's, or the last
 * evaluation's when that evaluation was the best; undefined when the last weights are kept but are not the best.
 */
export function keptModelMetrics(state: TrainerState, restored: { metrics?: EvalMetrics } | undefined, restoring: boolean): EvalMetrics | undefined {
  if (restored) return restored.metrics;
  const lastIsBest = state.best !== undefined && state.best.step === state.globalStep;
  return restoring && lastIsBest && !(state as { interrupted?: boolean }).interrupted ? state.lastEval : undefined;
}
