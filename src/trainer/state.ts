/** Creating and resetting the loop's state and control objects, and the LR schedule computed on the host. */
import type { TrainingConfig } from '../config/schema.js';
import type { TrainerControl, TrainerState } from './types.js';

export function createState(config: TrainingConfig, totalSteps: number): TrainerState {
  return { config, globalStep: 0, epoch: 0, batchIndex: 0, totalSteps };
}

export function createControl(): TrainerControl {
  return { shouldStop: false, shouldEvaluate: false, shouldSave: false, shouldLog: false };
}

/** Clears the per-step flags after the loop acted on them (shouldStop stays until the loop stops). */
export function resetControl(control: TrainerControl): void {
  control.shouldEvaluate = false;
  control.shouldSave = false;
  control.shouldLog = false;
}

/**
 * The learning rate of optimizer step `step` (0-based): linear warmup to the peak over `warmupSteps`,
 * then constant, linear to 0, or half a cosine to 0 at `totalSteps`. Kept on the host so the rate is a
 * plain number to log, and the optimizer receives it as state (no sync to read it back).
 */
export function learningRateAt(step: number, t: { learningRate: number; schedule: 'constant' | 'linear' | 'cosine'; warmupSteps: number; totalSteps: number }): number {
  const { learningRate: peak, warmupSteps, totalSteps } = t;
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  if (t.schedule === 'constant') return peak;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return t.schedule === 'linear' ? peak * (1 - progress) : peak * 0.5 * (1 + Math.cos(Math.PI * progress));
}
