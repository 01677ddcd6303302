/** mlx-train/optim: optimizers, schedules and gradient clipping, following mlx.optimizers in camelCase. */
export { Optimizer, type ApplyOptions, type Schedule, type ScheduledValue, type ParamState, type Updatable } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamWOptions } from './adam.js';
export { Lion, type LionOptions } from './lion.js';
export { Adafactor, type AdafactorOptions } from './adafactor.js';
export { exponentialDecay, stepDecay, cosineDecay, linearSchedule, joinSchedules } from './schedules.js';
export { clipGradNorm, clipScale } from './clip.js';
