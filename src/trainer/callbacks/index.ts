/** The built-in callbacks: each is an ordinary Callback object (see ../types.ts). */
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { LearningRateMonitor, type LearningRateMonitorOptions } from './lr-monitor.js';
export { ProgressBar, formatDuration, formatEval, type ProgressBarOptions } from './progress-bar.js';
export { MemoryProfiler, type MemoryProfilerOptions, type MemorySummary } from './memory-profiler.js';
export { CheckpointCallback } from './checkpoint.js';
export { TrackingCallback, datasetInput, type TrackingCallbackOptions } from './tracking.js';
export { RunHistory } from '../summary.js';
