/** mlx-train/trainer: the Trainer, its step, checkpoints and the callback contract. */
export { Trainer, applyAdapters, TOKENIZER_FILE, LABELS_FILE, type TrainerOptions, type FitOptions, type FitResult, type Prediction, type SaveFusedOptions } from './trainer.js';
export { saveAdapters, loadAdapters, ADAPTER_WEIGHTS_FILE, ADAPTER_CONFIG_FILE, ADAPTERS_FORMAT, type AdapterConfig } from './adapters.js';
export { buildModel, pretrainedTokenizer, type ModelRequest, type ModelFactory } from './model-setup.js';
export { TrainStep, type StepBatch, type LossFn, type StepResult, type TrainStepOptions } from './step.js';
export {
  saveCheckpoint, loadCheckpoint, loadModelWeights, listCheckpoints, latestCheckpoint, pruneCheckpoints, restoreOptimizerState, writeAtomically, checkpointName,
  CheckpointError, CHECKPOINT_FORMAT, type TrainerCheckpointState, type LoadedCheckpoint, type CheckpointContents,
} from './run-checkpoint.js';
export { BatchSizer, findBatchSize, isOutOfMemory, type BatchSizerOptions, type FindBatchSizeOptions } from './batch-size.js';
export { memorySnapshot, memoryMetrics, LeakAlarm } from './memory.js';
export { DynamicLossScaler, computeDtypeOf, type ComputeDtype } from './precision.js';
export { seedEverything, captureRandomState, restoreRandomState } from './rng.js';
export { createState, createControl } from './state.js';
export { classificationLoss, trainLoop, type LoopContext } from './loop.js';
export { allReduceGradients, worldSize, rank } from './distributed.js';
export { shardLoader, shardPlan } from './shard-loader.js';
export { CheckpointCallback } from './callbacks/checkpoint.js';
export { TrackingCallback, datasetInput, type TrackingCallbackOptions } from './callbacks/tracking.js';
export type { Callback, TrainerState, TrainerControl, StepMetrics, EvalMetrics, MemorySnapshot } from './types.js';
export {
  evaluate as evaluateModel, evaluateDetailed, forEachBatchOutput, meanCrossEntropy, metricsForLogging, monitoredValue, metricKey, checkMonitorName, defaultMode, isImprovement, BestMetricTracker,
  type EvalBatch, type EvalSource, type EvalLossFn, type ClassifierModule, type BatchOutputs, type EvaluationResult, type MonitorMode, type BestMetric,
} from './evaluate.js';
export {
  argmaxRows, confusionMatrix, perClassScores, averagedScores, accuracyFromMatrix, logLoss, rocCurve, binaryRocAuc, classColumn, rocAuc, classificationMetrics, MetricAccumulator,
  type Average, type PerClassScores, type RocCurve,
} from './metrics.js';
// The file-level predict is exported under its own name: Trainer.predict() is the usual entry point.
export { predict as predictSubmission, predictFile, predictProbabilities, writeSubmission, type EnsembleMember, type FilePredictions, type PredictOptions } from './predict.js';
export { crossValidate, type FoldContext, type TrainedFold, type TrainFoldFn, type FoldResult, type CrossValidationResult, type CrossValidationOptions } from './kfold.js';
export { renderPng, trainingCurvesSpec, confusionMatrixSpec, rocCurveSpec, plotTrainingCurves, plotConfusionMatrix, plotRocCurve, writeRunPlots, type RenderOptions, type CurveData } from './plots.js';
export { RunHistory, summarizeRun, summaryMetrics, formatSummary, type StepRecord, type EvalRecord, type RunSummary } from './summary.js';
export {
  EarlyStopping, LearningRateMonitor, ProgressBar, MemoryProfiler, RunReport, builtinCallbacks, formatDuration, formatEval,
  type EarlyStoppingOptions, type LearningRateMonitorOptions, type ProgressBarOptions, type MemoryProfilerOptions, type MemorySummary, type BuiltinCallbacks, type RunReportOptions,
} from './callbacks/index.js';
