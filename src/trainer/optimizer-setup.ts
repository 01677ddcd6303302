/**
 * The optimizer training.optimizer names, owning the learning-rate schedule the config describes (as
 * mlx.optimizers does): the rate is a function of the optimizer's step count, evaluated by the optimizer
 * at every update and kept in its state, so a resumed run continues the schedule and the loop only reads
 * the rate for logging. Warmup ramps linearly to the peak, reaching it on the last warmup step; the
 * decay then starts from the peak.
 */
import type { TrainingConfig } from '../config/schema.js';
import { Adafactor, Adam, AdamW, Lion, SGD, cosineDecay, exponentialDecay, joinSchedules, linearSchedule, stepDecay, type Optimizer, type ScheduledValue } from '../optim/index.js';

type Training = TrainingConfig['training'];

/** training.learningRate, schedule and warmupRatio (plus decayRate/decaySteps) over a run of `totalSteps` optimizer steps. */
export function learningRateSchedule(t: Training, totalSteps: number): ScheduledValue {
  const peak = t.learningRate;
  const warmup = Math.round(t.warmupRatio * totalSteps);
  // The decay spans the steps after warmup; linear and cosine reach 0 there.
  const span = Math.max(1, totalSteps - warmup);
  const decay = {
    constant: null,
    linear: () => linearSchedule(peak, 0, span),
    cosine: () => cosineDecay(peak, span),
    exponential: () => exponentialDecay(peak, t.decayRate),
    step: () => stepDecay(peak, t.decayRate, t.decaySteps),
  }[t.schedule];
  if (warmup === 0) return decay ? decay() : peak;
  // Step s < warmup gets peak·(s+1)/warmup; the ramp then holds the peak, which is all 'constant' needs.
  const ramp = linearSchedule(peak / warmup, peak, Math.max(1, warmup - 1));
  return decay ? joinSchedules([ramp, decay()], [warmup]) : ramp;
}

export function makeOptimizer(c: TrainingConfig, totalSteps: number): Optimizer {
  const t = c.training;
  const learningRate = learningRateSchedule(t, totalSteps);
  switch (t.optimizer) {
    case 'adamw':
      return new AdamW({ learningRate, weightDecay: t.weightDecay });
    case 'adam':
      return new Adam({ learningRate });
    case 'sgd':
      return new SGD({ learningRate, weightDecay: t.weightDecay });
    case 'lion':
      return new Lion({ learningRate, weightDecay: t.weightDecay });
    case 'adafactor':
      return new Adafactor({ learningRate, weightDecay: t.weightDecay, relativeStep: false } as ConstructorParameters<typeof Adafactor>[0]);
  }
}

/** The rate the optimizer applied in its last update (its first one before any): for logging only. */
export function currentLearningRate(optimizer: Optimizer): number {
  return Number(optimizer.learningRate.item());
}
