/**
 * mlx-train/trainer: the Trainer, the callback contract and the built-in callbacks. Everything else in
 * src/trainer is internal (the CLI and tests import it by path).
 */
export { Trainer, type TrainerOptions, type RunOptions, type FitOptions, type FitResult, type Prediction, type SaveFusedOptions } from './trainer.js';
export type { Callback, TrainerState, TrainerControl, StepMetrics, EvalMetrics, MemorySnapshot } from './types.js';
export {
  CheckpointCallback, TrackingCallback, EarlyStopping, LearningRateMonitor, ProgressBar, MemoryProfiler, RunHistory, RunReport, builtinCallbacks,
  type TrackingCallbackOptions, type EarlyStoppingOptions, type LearningRateMonitorOptions, type ProgressBarOptions, type MemoryProfilerOptions, type MemorySummary,
  type RunReportOptions, type BuiltinCallbacks,
} from './callbacks/index.js';
// Tasks beyond classification (issue #22): the metric table (val_<metric> names, min/max) and the hooks' types.
export { METRIC_TABLE, type MetricInfo, type MetricMode } from './tasks/metric-table.js';
export type { CustomLoss } from './tasks/heads.js';
export type { CustomMetrics, TaskPredictions } from './tasks/hooks.js';
