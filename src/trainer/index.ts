/** mlx-train/trainer: the Trainer, its step, checkpoints and the callback contract. */
export { Trainer, applyAdapters, type TrainerOptions, type FitOptions, type FitResult, type Prediction } from './trainer.js';
export { TrainStep, type StepBatch, type LossFn, type StepResult, type TrainStepOptions } from './step.js';
export {
  saveCheckpoint, loadCheckpoint, listCheckpoints, latestCheckpoint, pruneCheckpoints, restoreOptimizerState, writeAtomically, checkpointName,
  CheckpointError, CHECKPOINT_FORMAT, type TrainerCheckpointState, type LoadedCheckpoint, type CheckpointContents,
} from './checkpoint.js';
export { BatchSizer, findBatchSize, isOutOfMemory, type BatchSizerOptions, type FindBatchSizeOptions } from './batch-size.js';
export { memorySnapshot, memoryMetrics, LeakAlarm } from './memory.js';
export { DynamicLossScaler, computeDtypeOf, type ComputeDtype } from './precision.js';
export { seedEverything, captureRandomState, restoreRandomState } from './rng.js';
export { learningRateAt, createState, createControl } from './state.js';
export { NonFiniteLossError, classificationLoss, trainLoop, type LoopContext } from './loop.js';
export { allReduceGradients, worldSize, rank } from './distributed.js';
export { CheckpointCallback } from './callbacks/checkpoint.js';
export { TrackingCallback, datasetInput, type TrackingCallbackOptions } from './callbacks/tracking.js';
export type { Callback, TrainerState, TrainerControl, StepMetrics, EvalMetrics, MemorySnapshot } from './types.js';
