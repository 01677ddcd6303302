/**
 * One fit of a prepared run: callbacks, resume, the loop, the best checkpoint put back, and the tracked
 * run marked FINISHED, FAILED or KILLED (callbacks' onException on failure).
 */
import { metricsForLogging, nanWeights, type ClassifierModule } from './evaluate.js';
import { evaluateTask } from './tasks/evaluate.js';
import { checkTaskMonitor } from './tasks/session.js';
import { rank, worldSize } from './distributed.js';
import { emit, trainLoop, type LoopContext } from './loop.js';
import { savePipeline } from './pipeline-files.js';
import { keptModelMetrics } from './returned-model.js';
import type { FitOptions, FitResult, PreparedRun } from './run.js';
import { runCallbacks } from './run-callbacks.js';
import { restoreBest, resumeRun, saveRunCheckpoint } from './save-resume.js';
import { shardLoader } from './shard-loader.js';
import { createControl, createState } from './state.js';
import type { EvalMetrics } from './types.js';

/** Validation metrics of the run's model (a warning when NaN weights make them meaningless). */
export async function evaluateRun(run: PreparedRun): Promise<EvalMetrics> {
  const { metrics } = await evaluateTask(run.model as ClassifierModule, run.data.validationLoader(), run.head, run.options.metrics);
  if (!Number.isFinite(metrics.loss)) {
    const nan = nanWeights(run.model);
    if (nan.count) run.log(`warning: the model weights contain NaN (${nan.count} tensor(s), e.g. ${nan.paths.join(', ')}): the validation loss is ${metrics.loss} and the metrics are meaningless`);
  }
  return metrics;
}

export async function fitRun(run: PreparedRun, options: FitOptions): Promise<FitResult> {
  const started = performance.now();
  const { config: c, options: o } = run;
  const state = createState(c, run.totalSteps) as LoopContext['state'];
  const control = createControl();
  const isMain = rank() === 0;
  if (o.fold !== undefined) state.fold = o.fold;
  const es = c.training.earlyStopping;
  checkTaskMonitor(es.monitor, es.mode, run.head.task, o.metrics !== undefined, (m) => run.log(`warning: ${m}`));
  if (isMain) savePipeline(c.outputDir, run.data);
  const { list: callbacks, history, tracking } = runCallbacks(run, isMain);
  if (options.resumeFrom) resumeRun(run, options.resumeFrom, state, callbacks);
  let lastCheckpoint: string | undefined;
  const ctx: LoopContext = {
    model: run.model,
    step: run.step,
    sizer: run.sizer,
    scaler: run.scaler,
    callbacks,
    state,
    control,
    // Each rank trains on its shard of every batch of the shared-seed order.
    trainLoader: (batching) => shardLoader(run.data.trainLoader({ batching, softTargets: run.softTargets }), rank(), worldSize()),
    evaluate: () => evaluateRun(run),
    // The monitor was checked for the task above (checkTaskMonitor).
    checkMonitor: () => {},
    save: async () => (lastCheckpoint = saveRunCheckpoint(run, state, callbacks, isMain)),
    warn: (m) => run.log(`warning: ${m}`),
  };
  let restoredBest: FitResult['restoredBest'];
  try {
    await emit(callbacks, 'onTrainStart', state, control);
    if (tracking?.runId) state.runId = tracking.runId;
    await trainLoop(ctx);
    // Before onTrainEnd, so the end-of-run plots and artifacts describe the model fit() returns.
    if (!state.interrupted) await o.beforeRestore?.(run.model);
    if (options.restoreBest !== false && !state.interrupted) restoredBest = restoreBest(run, state, history.evals);
    const kept = keptModelMetrics(state, restoredBest, options.restoreBest !== false);
    // The returned model's metrics, apart from the last evaluation's val_* ones.
    if (kept) await tracking?.logMetrics(metricsForLogging(kept, 'best_val_'), state.globalStep);
    await emit(callbacks, 'onTrainEnd', state, control);
  } catch (err) {
    for (const cb of callbacks) {
      try {
        await cb.onException?.(state, err);
      } catch (inner) {
        run.log(`warning: callback ${cb.name ?? cb.constructor.name} failed in onException: ${(inner as Error).message}`);
      }
    }
    throw err;
  }
  return {
    state,
    metrics: state.lastEval,
    status: state.interrupted ? 'KILLED' : 'FINISHED',
    checkpoint: lastCheckpoint,
    runId: state.runId,
    elapsedMs: performance.now() - started,
    restoredBest,
  };
}
