/** Creating and resetting the loop's state and control objects (the learning-rate schedule is the optimizer's: optimizer-setup.ts). */
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

