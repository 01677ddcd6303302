/**
 * Every callback of a fit, built in one place and in the order they run: early stopping, history,
 * learning-rate and memory monitors, progress, checkpoints (rank 0), the run report, tracking (rank 0),
 * then the user's callbacks. The report runs before tracking so its metrics and plots land in the run
 * before tracking ends it.
 */
import { CheckpointCallback } from './callbacks/checkpoint.js';
import { EarlyStopping } from './callbacks/early-stopping.js';
import { builtinCallbacks } from './callbacks/index.js';
import { plotsDirOf, RunReport } from './callbacks/run-report.js';
import { TrackingCallback } from './callbacks/tracking.js';
import type { ClassifierModule } from './evaluate.js';
import { reportEvaluation } from './tasks/session.js';
import type { PreparedRun } from './run.js';
import { checkpointDirOf } from './run-layout.js';
import type { RunHistory } from './summary.js';
import type { Callback } from './types.js';

export interface RunCallbacks {
  list: Callback[];
  /** The step and evaluation history (restore-best looks up the best step's metrics there). */
  history: RunHistory;
  tracking: TrackingCallback | null;
}

/** The callbacks of one fit of `run`; only rank 0 (`isMain`) writes checkpoints, reports and tracks. */
export function runCallbacks(run: PreparedRun, isMain: boolean): RunCallbacks {
  const { config: c, options: o, log } = run;
  const es = c.training.earlyStopping;
  const checkpoints = isMain ? new CheckpointCallback(checkpointDirOf(c), c.training.keepCheckpoints, c.training.checkpointEverySteps) : null;
  const fold = o.fold;
  const tracking = c.tracking.enabled && isMain
    ? new TrackingCallback({
        log,
        data: run.data,
        checkpointCallback: checkpoints ?? undefined,
        tags: o.trackingTags,
        runName: fold === undefined ? undefined : `${c.tracking.runName ?? 'cv'}-fold-${fold}`,
        skipRegistration: fold !== undefined,
      })
    : null;
  const early = es.enabled ? [new EarlyStopping({ monitor: es.monitor, mode: es.mode, patience: es.patience, minDelta: es.minDelta, log })] : [];
  const builtins = builtinCallbacks(c, { log, earlyStopping: false, progress: isMain ? (o.progress ?? true) : false });
  const report = isMain
    ? [
        new RunReport({
          history: builtins.history,
          monitor: es.monitor,
          mode: es.mode,
          log,
          plotsDir: o.plots === false ? null : plotsDirOf(c.outputDir),
          evaluate: () => reportEvaluation(run.model as ClassifierModule, run.data.validationLoader(), run.head, run.options.metrics),
          classNames: run.data.labels.classes,
          tracking,
        }),
      ]
    : [];
  const list: Callback[] = [...early, ...builtins.list, ...(checkpoints ? [checkpoints] : []), ...report, ...(tracking ? [tracking] : []), ...(o.callbacks ?? [])];
  return { list, history: builtins.history, tracking };
}
