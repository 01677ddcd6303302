/** The built-in callbacks: each is an ordinary Callback object (see ../types.ts). */
import type { TrainingConfig } from '../../config/schema.js';
import { RunHistory } from '../summary.js';
import type { Callback } from '../types.js';
import { EarlyStopping } from './early-stopping.js';
import { LearningRateMonitor } from './lr-monitor.js';
import { MemoryProfiler } from './memory-profiler.js';
import { ProgressBar, type ProgressBarOptions } from './progress-bar.js';

export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { LearningRateMonitor, type LearningRateMonitorOptions } from './lr-monitor.js';
export { ProgressBar, formatDuration, formatEval, type ProgressBarOptions } from './progress-bar.js';
export { MemoryProfiler, type MemoryProfilerOptions, type MemorySummary } from './memory-profiler.js';
export { CheckpointCallback } from './checkpoint.js';
export { TrackingCallback, datasetInput, type TrackingCallbackOptions } from './tracking.js';
export { RunHistory } from '../summary.js';
export { RunReport, type RunReportOptions } from './run-report.js';

export interface BuiltinCallbacks {
  history: RunHistory;
  learningRate: LearningRateMonitor;
  memory: MemoryProfiler;
  earlyStopping: EarlyStopping | null;
  progress: ProgressBar | null;
  /** All of the above that are enabled, in the order they should run. */
  list: Callback[];
}

/**
 * The standard set for a run of `config`: history (for the summary and plots), learning-rate and memory
 * monitors, early stopping when `training.earlyStopping.enabled` (unless `earlyStopping: false`, for a
 * loop that adds its own), and the progress display (off with `progress: false`, e.g. on ranks other
 * than 0 or under --quiet).
 */
export function builtinCallbacks(
  config: TrainingConfig,
  options: {
    log?: (message: string) => void;
    progress?: boolean | ProgressBarOptions;
    earlyStopping?: boolean;
    sink?: (metrics: Record<string, number>, step: number) => void;
  } = {},
): BuiltinCallbacks {
  const history = new RunHistory();
  const learningRate = new LearningRateMonitor({ sink: options.sink });
  const memory = new MemoryProfiler({ everySteps: config.training.logEverySteps, log: options.log, sink: options.sink });
  const earlyStopping = options.earlyStopping === false ? null : EarlyStopping.fromConfig(config.training.earlyStopping, options.log);
  const progress = options.progress === false ? null : new ProgressBar(typeof options.progress === 'object' ? options.progress : {});
  const list: Callback[] = [history, learningRate, memory, ...(earlyStopping ? [earlyStopping] : []), ...(progress ? [progress] : [])];
  return { history, learningRate, memory, earlyStopping, progress, list };
}
