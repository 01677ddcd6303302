/**
 * K-fold runs of a Trainer (what fit() does when data.kFolds ≥ 2): one fold Trainer per fold, each on
 * its split and in outputDir/fold-<i>, tracked as child runs of a parent run that gets the fold means,
 * standard deviations and out-of-fold metrics; and loading every fold's checkpoint back as the ensemble
 * that predict() averages. The fold Trainers come from `makeTrainer`, so this module needs no Trainer.
 */
import { join } from 'node:path';
import type { TrainingConfig } from '../config/schema.js';
import type { PreparedData } from '../data/dataset.js';
import { CheckpointError, ConfigError } from '../errors.js';
import type { Module } from '../nn/index.js';
import { TrackingCallback } from './callbacks/tracking.js';
import { rank } from './distributed.js';
import { metricsForLogging, type ClassifierModule } from './evaluate.js';
import { crossValidate as crossValidateFolds, type CrossValidationResult } from './kfold.js';
import { describeCrossValidation, lastEpochMetrics } from './kfold-report.js';
import type { EnsembleMember } from './predict.js';
import { dataOptionsOf, type FitResult, type RunOptions } from './run.js';
import { latestCheckpoint } from './run-checkpoint.js';
import { checkpointDirOf, foldConfig } from './run-layout.js';
import { createState } from './state.js';
import { type FoldScore, type FoldScoring, pooledMetrics, scoreFold } from './tasks/fold-score.js';
import { taskHead } from './tasks/heads.js';
import { headline } from './tasks/metric-table.js';
import { writeOutOfFold } from './tasks/predict.js';
import type { EvalMetrics } from './types.js';

/** What this module needs of a fold's Trainer. */
export interface FoldTrainer {
  fit(): Promise<FitResult>;
  loadWeightsFrom(checkpoint: string): string;
  readonly model: Module;
  readonly data: PreparedData;
}
export type MakeTrainer = (config: TrainingConfig, options: RunOptions) => FoldTrainer;

/** Each fold scored by its task's head, built from the fold's data (its own target scaling). */
export const foldScoring = (c: TrainingConfig, options: Pick<RunOptions, 'metrics'>): FoldScoring => ({ head: (data) => taskHead(c, data.targets), metrics: options.metrics });

/** Trains every fold; the result's `crossValidation.members` are the fold models (the ensemble). */
export async function crossValidateRun(c: TrainingConfig, options: RunOptions, log: (m: string) => void, makeTrainer: MakeTrainer): Promise<FitResult & { crossValidation: CrossValidationResult }> {
  const started = performance.now();
  const k = c.data.kFolds;
  if (k < 2) throw new ConfigError(`crossValidate needs data.kFolds ≥ 2 but it is ${k}`);
  const parentState = createState(c, 0);
  const parent = c.tracking.enabled && rank() === 0 ? new TrackingCallback({ log, tags: { ...options.trackingTags, 'mlx_train.k_folds': String(k) } }) : null;
  await parent?.onTrainStart(parentState);
  const folds: FitResult[] = [];
  let cv: CrossValidationResult;
  const scoring = foldScoring(c, options);
  try {
    const tokenizer = c.data.tokenizer === null && c.model.pretrained ? c.model.pretrained : c.data.tokenizer;
    cv = await crossValidateFolds({
      data: { ...dataOptionsOf(c), tokenizer },
      k,
      scoring,
      trainFold: async ({ fold, data }) => {
        log(`fold ${fold + 1}/${k}: ${data.split.train.length} training rows, ${data.split.validation.length} validation rows`);
        // The last-epoch model on the fold, before fit() puts the checkpoint selected on the fold back.
        let lastEpoch: FoldScore | undefined;
        const scoreLastEpoch = async (model: Module) => {
          lastEpoch = await scoreFold(model as ClassifierModule, data, scoring);
        };
        const trainer = makeTrainer(foldConfig(c, fold), {
          ...options,
          preparedData: data,
          fold,
          trackingTags: { ...options.trackingTags, ...(parent?.runId ? { 'mlflow.parentRunId': parent.runId } : {}), 'mlx_train.fold': String(fold) },
          beforeRestore: scoreLastEpoch,
        });
        const result = await trainer.fit();
        folds.push(result);
        return { model: trainer.model as ClassifierModule, lastEpoch };
      },
      onFoldEnd: (r) => log(`fold ${r.fold + 1}/${k}: ${headline(r.metrics)}`),
    });
  } catch (err) {
    await parent?.onException(parentState, err);
    throw err;
  }
  const std = Object.fromEntries(Object.entries(cv.std).map(([key, v]) => [`${key}_std`, v]));
  await parent?.logMetrics({ ...cv.mean, ...std, ...metricsForLogging(cv.outOfFold.metrics, 'oof_'), ...lastEpochMetrics(cv) }, 0);
  // The out-of-fold predictions in the task's form, beside the fold folders and in the parent run.
  const oofPath = writeOutOfFold(join(c.outputDir, 'oof_predictions.csv'), cv);
  await parent?.logArtifacts([oofPath]);
  const killed = folds.some((f) => f.status === 'KILLED');
  Object.assign(parentState, { interrupted: killed, runId: parent?.runId });
  await parent?.onTrainEnd(parentState);
  log(describeCrossValidation(cv));
  log(`out-of-fold predictions: ${oofPath}`);
  if (c.tracking.registerModel) log(`note: tracking.registerModel '${c.tracking.registerModel}': a k-fold run registers no model (k fold models, each in its child run's artifacts)`);
  return {
    state: folds[folds.length - 1].state,
    metrics: cv.outOfFold.metrics,
    status: killed ? 'KILLED' : 'FINISHED',
    runId: parent?.runId,
    elapsedMs: performance.now() - started,
    crossValidation: cv,
    folds,
  };
}

/** Every fold's 'latest' or 'best' checkpoint (outputDir/fold-<i>) as an ensemble; the paths comma-separated. */
export function loadFoldWeights(c: TrainingConfig, options: RunOptions, which: 'latest' | 'best', checkpointDir: string, makeTrainer: MakeTrainer): { members: EnsembleMember[]; paths: string } {
  const first = checkpointDirOf(foldConfig(c, 0));
  if (!latestCheckpoint(first)) throw new CheckpointError(`no checkpoint to load: neither ${checkpointDir} nor the k-fold folder ${first} holds a checkpoint-*.safetensors file (train first, or pass a checkpoint path)`);
  const members: EnsembleMember[] = [];
  const paths: string[] = [];
  for (let fold = 0; fold < c.data.kFolds; fold++) {
    const trainer = makeTrainer(foldConfig(c, fold), { ...options, fold });
    paths.push(trainer.loadWeightsFrom(which));
    members.push({ model: trainer.model as ClassifierModule, data: trainer.data });
  }
  return { members, paths: paths.join(', ') };
}

/** Each fold model on its own validation split, pooled: the out-of-fold metrics of a k-fold ensemble. */
export async function outOfFoldMetrics(members: EnsembleMember[], scoring: FoldScoring = {}): Promise<EvalMetrics> {
  const scores: FoldScore[] = [];
  for (const m of members) scores.push(await scoreFold(m.model, m.data, scoring));
  const cat = (part: (s: FoldScore) => Float64Array) => Float64Array.from(scores.flatMap((s) => Array.from(part(s))));
  const rows = scores.reduce((n, s) => n + s.rows.length, 0);
  const loss = scores.reduce((sum, s) => sum + s.metrics.loss * s.rows.length, 0) / rows;
  return pooledMetrics(scores[0].task, scores[0].numClasses, cat((s) => s.outputs), cat((s) => s.truth), loss);
}
