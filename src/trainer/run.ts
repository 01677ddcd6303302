/**
 * The prepared run: the typed record setup makes once from a resolved config (data, tokenizer and label
 * map, model, optimizer, compiled step, batch sizer), which every Trainer operation
 * (fit, checkpoints, k-fold, fuse, evaluate, predict) takes explicitly instead of reading class fields.
 */
import * as mx from '../core/index.js';
import { ConfigError } from '../errors.js';
import type { ResolveOptions } from '../config/load.js';
import type { TrainingConfig } from '../config/schema.js';
import { type DataOptions, prepareData, type PreparedData } from '../data/dataset.js';
import type { Module } from '../nn/index.js';
import type { Optimizer } from '../optim/index.js';
import { batchSizeOf, resolveAutoBatchSize } from './auto-batch-size.js';
import { BatchSizer } from './batch-size.js';
import type { ProgressBarOptions } from './callbacks/progress-bar.js';
import { guardStepDeadline, rank, worldSize } from './distributed.js';
import type { CrossValidationResult } from './kfold.js';
import { distillationLoss, distillationTargets } from './distill.js';
import type { SoftTargets } from '../data/collate.js';
import { applyMemoryLimit } from './memory.js';
import { buildModel, pretrainedTokenizer, type ModelFactory } from './model-setup.js';
import { makeOptimizer } from './optimizer-setup.js';
import { readSavedPipeline } from './pipeline-files.js';
import { computeDtypeOf, DynamicLossScaler } from './precision.js';
import { seedEverything } from './rng.js';
import { shardLoader } from './shard-loader.js';
import { TrainStep, type LossFn } from './step.js';
import type { Callback, EvalMetrics, TrainerState } from './types.js';
import type { TargetScaling } from '../data/targets.js';
import { taskHead, type CustomLoss, type TaskHead } from './tasks/heads.js';
import type { CustomMetrics } from './tasks/hooks.js';
import { describeTask, taskDataOptions } from './tasks/session.js';

/** How a run behaves beyond its config (both ways of making a Trainer take these). */
export interface RunOptions {
  /** Extra callbacks, run after the built-in ones. */
  callbacks?: Callback[];
  /** Builds the model instead of the config's architecture (custom models, tests). */
  createModel?: ModelFactory;
  /** Where progress messages and warnings go (default: stderr). */
  log?: (message: string) => void;
  /** Already prepared data (e.g. one k-fold split) instead of preparing it from config.data. */
  preparedData?: PreparedData;
  /** The k-fold index this trainer trains (recorded in the state and the tracked run). */
  fold?: number;
  /** The progress display on stderr (TTY-aware) on rank 0; false turns it off (default on). */
  progress?: boolean | ProgressBarOptions;
  /** Write the run's charts to outputDir/plots and log them as artifacts (default true). */
  plots?: boolean;
  /** Extra tags of the tracked run (k-fold children carry `mlflow.parentRunId`). */
  trackingTags?: Record<string, string>;
  /** Called at the end of fit() with the last weights, before the best checkpoint is put back (k-fold folds score the last-epoch model here). */
  beforeRestore?: (model: Module) => Promise<void> | void;
  /** A custom training loss replacing the task's (logits + batch → scalar mean); see tasks/heads.ts. */
  loss?: CustomLoss;
  /** Custom validation metrics, logged as val_<name> and usable as early stopping's monitor; see tasks/hooks.ts. */
  metrics?: CustomMetrics;
}

/** `new Trainer(options)`: where the config comes from (preset, file, --set, overrides) and the run options. */
export interface TrainerOptions extends ResolveOptions, RunOptions {}

export const RESOLVE_OPTION_KEYS = ['preset', 'file', 'set', 'env', 'overrides', 'flags'] as const;
export const RUN_OPTION_KEYS = ['callbacks', 'createModel', 'log', 'preparedData', 'fold', 'progress', 'plots', 'trackingTags', 'beforeRestore', 'loss', 'metrics'] as const;

export interface FitOptions {
  /** A checkpoint file to continue from, or 'latest' for the newest one in outputDir/checkpoints. */
  resumeFrom?: string;
  /**
   * At the end, put back the weights of the best checkpoint (best on training.earlyStopping.monitor,
   * which picks the best model whether or not early stopping is on) when a later step ended training,
   * so the model fit() leaves, and what evaluate()/predict() use, is the best one (default true).
   */
  restoreBest?: boolean;
}

export interface FitResult {
  state: TrainerState;
  /** The last validation metrics (those of the last evaluation; see restoredBest for the returned model's). */
  metrics?: EvalMetrics;
  status: 'FINISHED' | 'KILLED';
  /** Newest checkpoint written, if any. */
  checkpoint?: string;
  runId?: string;
  elapsedMs: number;
  /** The best checkpoint whose weights fit() put back into the model (see FitOptions.restoreBest). */
  restoredBest?: { step: number; metric: string; value: number; checkpoint: string; metrics?: EvalMetrics };
  /** With data.kFolds ≥ 2: the cross-validation (fold metrics, mean/std, out-of-fold predictions). */
  crossValidation?: CrossValidationResult;
  /** With data.kFolds ≥ 2: each fold's own fit result. */
  folds?: FitResult[];
}

export interface SaveFusedOptions {
  /** Replace an output folder that exists and is not empty (default false: refuse). */
  overwrite?: boolean;
}

export interface Prediction {
  id: string;
  /** The predicted class, value (regression) or labels joined by the delimiter (multilabel). */
  label: string;
  /** Class or label probabilities (none for regression). */
  probabilities: number[];
  /** Regression: the predicted value. */
  value?: number;
  /** Multilabel: the predicted labels. */
  labels?: string[];
}

/** Everything a run is made of, built once by prepareRun. fuseAdapters replaces config, optimizer and step. */
export interface PreparedRun {
  /** The resolved config (training.batchSize: auto replaced by the size found). */
  config: TrainingConfig;
  options: RunOptions;
  log: (message: string) => void;
  data: PreparedData;
  model: Module;
  optimizer: Optimizer;
  step: TrainStep;
  lossFn: LossFn;
  sizer: BatchSizer;
  scaler: DynamicLossScaler | null;
  /** Optimizer steps of the whole run (what the learning-rate schedule spans). */
  totalSteps: number;
  /** How many LoRA layers fuseAdapters merged (0: the adapters, if any, are still separate). */
  fusedLayers: number;
  /** training.distillation: the teacher's logits per row, batched beside the labels (distill.ts). */
  softTargets: SoftTargets | null;
  /** The task's head: output width, losses, metrics, predictions (tasks/heads.ts). */
  head: TaskHead;
}

/** config.data as data-pipeline options (a k-fold split: the fold of `fold`, else fold 0). */
export function dataOptionsOf(c: TrainingConfig, fold = 0): DataOptions {
  return {
    trainPath: c.data.trainPath,
    labelColumn: c.data.labelColumn,
    idColumn: c.data.idColumn,
    textColumns: c.data.textColumns,
    dropColumns: c.data.dropColumns,
    template: c.data.template,
    templates: c.data.templates,
    augment: c.data.augment,
    validationSplit: c.data.validationSplit,
    kFolds: c.data.kFolds,
    fold,
    seed: c.training.seed,
    tokenizer: c.data.tokenizer,
    vocabSize: c.data.vocabSize,
    maxLength: c.model.maxLength,
    cacheDir: c.data.cacheDir,
    ...taskDataOptions(c),
  };
}

/**
 * Data, model, optimizer and step for `config`. With `reuseSavedPipeline` the tokenizer and label map
 * that fit() saved in outputDir are read back (a model loaded for evaluate/predict encodes as it trained).
 */
export function prepareRun(config: TrainingConfig, options: RunOptions, reuseSavedPipeline: boolean, log: (message: string) => void, savedScaling: TargetScaling | null = null): PreparedRun {
  const c = config;
  const t = c.training;
  seedEverything(t.seed);
  applyMemoryLimit(t.memoryLimitMb);
  // Only the tokenizer of a pretrained folder is read now: the head's label count comes from the data.
  const pretrainedTok = c.model.pretrained && c.data.tokenizer === null ? pretrainedTokenizer(c.model.pretrained) : null;
  const saved = options.preparedData || c.model.pretrained || !reuseSavedPipeline ? {} : readSavedPipeline(c);
  const data = options.preparedData ?? prepareData({
    ...dataOptionsOf(c, options.fold ?? 0),
    labelClasses: saved.labelClasses,
    tokenizer: pretrainedTok ?? saved.tokenizer ?? c.data.tokenizer,
    savedScaling: savedScaling ?? saved.scaling ?? null,
  });
  const head = taskHead(c, data.targets, options.loss);
  log(describeTask(data));
  if (data.targets.warning) log(`warning: ${data.targets.warning}`);
  // The teacher's logits, before the reseed below (its setup draws from the global key too).
  const softTargets = t.distillation ? distillationTargets(c, options.fold, data, (tc) => prepareRun(tc, { log, progress: false }, true, (m) => log(`teacher: ${m}`)), log) : null;
  const numLabels = head.width;
  const padTokenId = data.tokenizer.tokenToId('[PAD]') ?? 0;
  // Model init draws from the global key: reseed so the weights do not depend on what data prep drew.
  seedEverything(t.seed);
  // A sparse vocabulary (ids with gaps) needs a table up to its largest id, not its token count.
  const vocabSize = Math.max(data.tokenizer.vocabSize, data.tokenizer.largestId.id + 1);
  const model = buildModel(c, { vocabSize, numLabels, padTokenId }, options.createModel);
  // An id past the embedding table would read out of bounds in the compiled step: refuse the pair now.
  const modelVocab = (model as { config?: { vocabSize?: unknown } }).config?.vocabSize;
  if (typeof modelVocab === 'number') data.tokenizer.checkFitsVocabulary(modelVocab, c.model.pretrained ? `the model in ${c.model.pretrained}` : 'the model');
  model.train();
  mx.eval(model.parameters());
  const scaler = t.mixedPrecision === 'fp16' ? new DynamicLossScaler() : null;
  const lossFn = t.distillation ? distillationLoss(head.trainLoss, { ...t.distillation, task: head.task, labelWidth: data.targets.width }) : head.trainLoss;
  const resolved = resolveAutoBatchSize(c, { model, lossFn, vocabSize: data.tokenizer.vocabSize, log });
  const sizer = new BatchSizer({
    batchSize: batchSizeOf(resolved.training),
    maxBatchSize: t.maxBatchSize,
    maxLength: c.model.maxLength,
    dynamic: t.dynamicBatching,
    memoryLimitBytes: t.memoryLimitMb === null ? null : t.memoryLimitMb * 2 ** 20,
  });
  const shard = shardLoader(data.trainLoader({ batching: sizer.batching(), prefetch: 0 }), rank(), worldSize());
  const perEpoch = shard.numBatches(0);
  if (worldSize() > 1) {
    // Which rows this rank trains on (the launcher prefixes the line with the rank): a quick check that the data is split.
    const rows = shard.plan(0).flat();
    log(`rank ${rank()} of ${worldSize()} (pid ${process.pid}): epoch 1 has ${perEpoch} batches, ${rows.length} rows in this rank's shard, first rows ${rows.slice(0, 4).join(', ')}`);
  }
  const totalSteps = t.epochs * Math.ceil(perEpoch / t.gradientAccumulationSteps);
  const optimizer = makeOptimizer(resolved, totalSteps);
  const step = buildStep(resolved, model, optimizer, lossFn, scaler);
  return { config: resolved, options, log, data, model, optimizer, step, lossFn, sizer, scaler, totalSteps, fusedLayers: 0, softTargets, head };
}

/** The training step for `model` under `optimizer` (the loss scale changes at run time, so fp16 runs eagerly). */
export function buildStep(c: TrainingConfig, model: Module, optimizer: Optimizer, lossFn: LossFn, scaler: DynamicLossScaler | null): TrainStep {
  const t = c.training;
  const step = new TrainStep(model, optimizer, lossFn, {
    maxGradNorm: t.maxGradNorm,
    compile: scaler === null ? t.compile : false,
    computeDtype: computeDtypeOf(t.mixedPrecision),
    lossScale: scaler ? () => scaler.scale : undefined,
  });
  guardStepDeadline(step);
  return step;
}
