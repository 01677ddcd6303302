/**
 * A prepared run's checkpoints: saving the whole training state (model, optimizer, loop position, batch
 * sizer, loss scaler, callback states; the file format is run-checkpoint.ts's), resuming from one,
 * putting the best one's weights back at the end, and loading weights for evaluate/predict.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, ConfigError, MlxTrainError, restate } from '../errors.js';
import type { BatchSizer } from './batch-size.js';
import type { LoopContext } from './loop.js';
import type { FitResult, PreparedRun } from './run.js';
import { checkpointDirOf } from './run-layout.js';
import {
  bestCheckpoint, checkpointName, latestCheckpoint, loadCheckpoint, loadCheckpointWeights, loadModelWeights, restoreOptimizerState, saveCheckpoint, type TrainerCheckpointState,
} from './run-checkpoint.js';
import { restoreRandomState } from './rng.js';
import type { Callback, EvalMetrics } from './types.js';

type LoopState = LoopContext['state'];

const callbackKey = (cb: Callback, i: number) => cb.name ?? `callback-${i}`;

/** Writes a checkpoint of the run at `state` (rank 0 only: other ranks return ''). */
export function saveRunCheckpoint(run: PreparedRun, state: LoopState, callbacks: Callback[], isMain: boolean): string {
  const callbackStates: Record<string, Record<string, unknown>> = {};
  callbacks.forEach((cb, i) => {
    if (cb.stateDict) callbackStates[callbackKey(cb, i)] = cb.stateDict();
  });
  const trainer: TrainerCheckpointState = {
    globalStep: state.globalStep,
    epoch: state.epoch,
    batchIndex: state.batchIndex,
    totalSteps: state.totalSteps,
    best: state.best,
    epochBatching: state.batchIndex === 0 ? undefined : state.epochBatching,
    batchSizer: run.sizer.stateDict(),
    lossScaler: run.scaler?.stateDict(),
    skippedSteps: state.skippedSteps,
    dataSeed: run.config.training.seed,
    ...(state.runId ? { runId: state.runId } : {}),
    ...(run.data.targets.scaling ? { targetScaling: run.data.targets.scaling } : {}),
  };
  if (!isMain) return '';
  return saveCheckpoint(checkpointDirOf(run.config), { model: run.model, optimizer: run.optimizer, trainer, callbacks: callbackStates, config: run.config });
}

/** Puts the run back where checkpoint `from` ('latest': the newest in outputDir/checkpoints) left it. */
export function resumeRun(run: PreparedRun, from: string, state: LoopState, callbacks: Callback[]): void {
  const dir = checkpointDirOf(run.config);
  const path = from === 'latest' ? latestCheckpoint(dir) : from;
  if (!path) throw new CheckpointError(`resumeFrom 'latest': no checkpoint in ${dir}`);
  if (existsSync(path) && statSync(path).isDirectory()) {
    const inside = latestCheckpoint(path);
    throw new ConfigError(`--resume '${path}' is a folder; give a checkpoint file${inside ? ` (the latest there is ${inside})` : ''}, or --resume alone for the latest in ${dir}`);
  }
  const ck = withPath(path, 'is not a readable checkpoint', () => loadCheckpoint(path));
  withPath(path, 'does not fit the model this config builds (another model size or architecture?)', () => loadModelWeights(run.model, ck));
  // The optimizer state carries the step count its learning-rate schedule reads, so the schedule continues.
  restoreOptimizerState(run.optimizer, run.model, ck.optimizer, path);
  restoreRandomState(ck.rngKey);
  const t = ck.trainer;
  Object.assign(state, { globalStep: t.globalStep, epoch: t.epoch, batchIndex: t.batchIndex, best: t.best, epochBatching: t.epochBatching, skippedSteps: t.skippedSteps });
  // The tracking callback continues this run instead of starting an unlinked one.
  if (typeof t.runId === 'string') state.runId = t.runId;
  if (t.batchSizer) run.sizer.loadStateDict(t.batchSizer as Parameters<BatchSizer['loadStateDict']>[0]);
  if (t.lossScaler && run.scaler) run.scaler.loadStateDict(t.lossScaler as { scale: number; goodSteps: number });
  callbacks.forEach((cb, i) => {
    const saved = ck.callbacks[callbackKey(cb, i)];
    if (saved && cb.loadStateDict) cb.loadStateDict(saved);
  });
  run.log(`resumed from ${path} at step ${t.globalStep} (epoch ${t.epoch + 1}, batch ${t.batchIndex})`);
}

/** Runs `load`; an error that does not already name `path` is re-raised with it (same code). */
function withPath<T>(path: string, what: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    const e = err as Error & { code?: string };
    if (typeof e?.message !== 'string' || e.message.includes(path)) throw err;
    const message = `checkpoint ${path} ${what}: ${e.message}`;
    throw err instanceof MlxTrainError ? restate(err, message) : new CheckpointError(message, {}, 'CHECKPOINT_ERROR', { cause: err });
  }
}

/**
 * Loads the best checkpoint's weights into the model when the best step is not the last one. The
 * file name follows from the step (rank 0 writes it; other ranks read it when they share outputDir).
 */
export function restoreBest(run: PreparedRun, state: LoopState, evals: readonly { step: number; metrics: EvalMetrics }[]): FitResult['restoredBest'] {
  const best = state.best;
  if (!best || best.step === state.globalStep) return undefined;
  const path = join(checkpointDirOf(run.config), checkpointName(best.step));
  if (!existsSync(path)) {
    run.log(`warning: the best checkpoint ${path} (${best.metric} ${best.value.toPrecision(5)} at step ${best.step}) is missing; keeping the last weights`);
    return undefined;
  }
  loadCheckpointWeights(run.model, loadCheckpoint(path));
  run.log(`restored the best model: ${best.metric} ${best.value.toPrecision(5)} at step ${best.step} of ${state.globalStep} (${path})`);
  return { ...best, checkpoint: path, metrics: evals.find((e) => e.step === best.step)?.metrics };
}

/** The checkpoint file `checkpoint` names in `dir`: 'latest', 'best', or a path as given. */
export function checkpointPath(dir: string, checkpoint: string): string {
  const path = checkpoint === 'latest' ? latestCheckpoint(dir) : checkpoint === 'best' ? bestCheckpoint(dir) : checkpoint;
  if (!path) throw new CheckpointError(`no checkpoint to load: ${dir} holds no checkpoint-*.safetensors file (train first, or pass a checkpoint path)`);
  return path;
}
