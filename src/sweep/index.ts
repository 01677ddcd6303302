/** Hyperparameter sweeps over any config key: `sweep(config, options)` and its parts. */
export { sweep, type SweepOptions, type SweepResult } from './runner.js';
export { Pruner, type PruneDecision } from './pruners.js';
export { tpeSuggest, type Observation, type TpeOptions } from './tpe.js';
export { suggestTrial } from './samplers.js';
export { dimensionsOf, gridOf, trialConfig, type Dimension, type TrialParams } from './space.js';
export { parameterImportance, rankTrials } from './report.js';
export type { TrialRecord, TrialState } from './study.js';
