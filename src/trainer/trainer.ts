/**
 * Trainer: a resolved TrainingConfig → data, model, optimizer, compiled step, callbacks → fit / evaluate
 * / predict. Usable from any Node program (the CLI is a thin layer over it):
 *
 *   const trainer = new Trainer({ preset: 'quick' });
 *   const { metrics } = await trainer.fit();
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../core/index.js';
import { parseConfig, resolveConfig, type ResolveOptions } from '../config/load.js';
import type { TrainingConfig, TrainingConfigInput } from '../config/schema.js';
import { type DataOptions, prepareData, type PreparedData } from '../data/dataset.js';
import { ConfigError, MlxTrainError, restate } from '../errors.js';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.js';
import { fuseLoRA, type Module } from '../nn/index.js';
import { Adafactor, Adam, AdamW, Lion, SGD, type Optimizer } from '../optim/index.js';
import { BatchSizer, findBatchSize } from './batch-size.js';
import { batchSizeOf, resolveAutoBatchSize } from './auto-batch-size.js';
import { buildModel, pretrainedTokenizer } from './model-setup.js';
import { loadAdapters as loadAdapterFiles, saveAdapters as saveAdapterFiles } from './adapters.js';
import { fusedConfig, isExportable, writeFusedFolder } from './fuse.js';
import { bestCheckpoint, CheckpointError, checkpointName, latestCheckpoint, loadCheckpoint, loadCheckpointWeights, loadModelWeights, restoreOptimizerState, saveCheckpoint, type TrainerCheckpointState } from './run-checkpoint.js';
import { CheckpointCallback } from './callbacks/checkpoint.js';
import { EarlyStopping } from './callbacks/early-stopping.js';
import { builtinCallbacks } from './callbacks/index.js';
import type { ProgressBarOptions } from './callbacks/progress-bar.js';
import { plotsDirOf, RunReport } from './callbacks/run-report.js';
import { TrackingCallback } from './callbacks/tracking.js';
import { guardStepDeadline, rank, worldSize } from './distributed.js';
import { applyMemoryLimit } from './memory.js';
import { shardLoader } from './shard-loader.js';
import { checkMonitor, classificationLoss, emit, trainLoop, type LoopContext } from './loop.js';
import { evaluate as evaluateModel, evaluateDetailed, metricsForLogging, nanWeights, type ClassifierModule, type EvaluationResult } from './evaluate.js';
import { predict as predictCsv, type EnsembleMember } from './predict.js';
import { classificationMetrics } from './metrics.js';
import { crossValidate as crossValidateFolds, type CrossValidationResult } from './kfold.js';
import { describeCrossValidation, lastEpochMetrics } from './kfold-report.js';
import { computeDtypeOf, DynamicLossScaler } from './precision.js';
import { keptModelMetrics } from './returned-model.js';
import { restoreRandomState, seedEverything } from './rng.js';
import { createControl, createState } from './state.js';
import { TrainStep, type LossFn } from './step.js';
import type { Callback, EvalMetrics, TrainerControl, TrainerState } from './types.js';

/** Kept here for callers of the Trainer module; the model building lives in model-setup.ts. */
export { applyAdapters } from './model-setup.js';

export interface TrainerOptions extends ResolveOptions {
  /** Extra callbacks, run after the built-in ones. */
  callbacks?: Callback[];
  /** Builds the model instead of the config's architecture (custom models, tests). */
  createModel?: (info: { vocabSize: number; numLabels: number; padTokenId: number; config: TrainingConfig }) => Module;
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
}

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
  label: string;
  probabilities: number[];
}

const OPTION_KEYS = ['preset', 'file', 'set', 'env', 'overrides', 'callbacks', 'createModel', 'log', 'preparedData', 'fold', 'progress', 'plots', 'trackingTags', 'beforeRestore'];

/** Files fit() writes to outputDir so a later Trainer encodes text and labels exactly as training did. */
export const TOKENIZER_FILE = 'tokenizer.json';
export const LABELS_FILE = 'labels.json';

function isOptions(v: object): v is TrainerOptions {
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => OPTION_KEYS.includes(k));
}

export class Trainer {
  /** The resolved config; fuseAdapters() replaces it with the config of the fused model. */
  private _config: TrainingConfig;
  readonly options: TrainerOptions;
  private prepared?: {
    data: PreparedData;
    model: Module;
    optimizer: Optimizer;
    step: TrainStep;
    lossFn: LossFn;
    sizer: BatchSizer;
    scaler: DynamicLossScaler | null;
    totalSteps: number;
  };
  private lastCheckpoint?: string;
  /** The fold models of the last cross-validation: predict() averages them. */
  private ensemble?: EnsembleMember[];
  private crossValidation?: CrossValidationResult;
  /** Set by loadWeightsFrom: setup() reuses the tokenizer and label map that fit() saved in outputDir. */
  private reuseSavedPipeline = false;
  /** How many LoRA layers fuseAdapters() merged (0: the adapters, if any, are still separate). */
  private fusedLayers = 0;

  /** From a config (plain object, validated; defaults filled) or resolve options ({preset, file, set, overrides}). */
  constructor(config: TrainingConfig | TrainingConfigInput | TrainerOptions = {}, options: TrainerOptions = {}) {
    if (config !== null && typeof config === 'object' && isOptions(config)) {
      this.options = { ...config, ...options };
      this._config = resolveConfig({ env: {}, ...this.options }).config;
    } else {
      this.options = options;
      this._config = parseConfig(config as Record<string, unknown>);
    }
    const out = this._config.outputDir;
    if (existsSync(out) && !statSync(out).isDirectory()) {
      throw new ConfigError(`outputDir '${out}' is a file, not a folder: checkpoints, plots and predictions go in a folder (--output-dir)`);
    }
  }

  get config(): TrainingConfig {
    return this._config;
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }

  get checkpointDir(): string {
    return join(this.config.outputDir, 'checkpoints');
  }

  /** Prepares data, model, optimizer and step (once). */
  setup(): NonNullable<Trainer['prepared']> {
    if (this.prepared) return this.prepared;
    const c = this.config;
    const t = c.training;
    seedEverything(t.seed);
    applyMemoryLimit(t.memoryLimitMb);
    // Only the tokenizer of a pretrained folder is read now: the head's label count comes from the data.
    const pretrainedTok = c.model.pretrained && c.data.tokenizer === null ? pretrainedTokenizer(c.model.pretrained) : null;
    const saved = this.options.preparedData || c.model.pretrained ? {} : this.savedPipeline();
    const data = this.options.preparedData ?? prepareData({
      ...this.dataOptions(),
      labelClasses: saved.labelClasses,
      tokenizer: pretrainedTok ?? saved.tokenizer ?? c.data.tokenizer,
    });
    const numLabels = data.labels.numClasses;
    const padTokenId = data.tokenizer.tokenToId('[PAD]') ?? 0;
    // Model init draws from the global key: reseed so the weights do not depend on what data prep drew.
    seedEverything(t.seed);
    // A sparse vocabulary (ids with gaps) needs a table up to its largest id, not its token count.
    const vocabSize = Math.max(data.tokenizer.vocabSize, data.tokenizer.largestId.id + 1);
    const model = buildModel(c, { vocabSize, numLabels, padTokenId }, this.options.createModel);
    // An id past the embedding table would read out of bounds in the compiled step: refuse the pair now.
    const modelVocab = (model as { config?: { vocabSize?: unknown } }).config?.vocabSize;
    if (typeof modelVocab === 'number') data.tokenizer.checkFitsVocabulary(modelVocab, c.model.pretrained ? `the model in ${c.model.pretrained}` : 'the model');
    model.train();
    mx.eval(model.parameters());
    const optimizer = makeOptimizer(c);
    const scaler = t.mixedPrecision === 'fp16' ? new DynamicLossScaler() : null;
    const lossFn = classificationLoss(t);
    this._config = resolveAutoBatchSize(c, { model, lossFn, vocabSize: data.tokenizer.vocabSize, log: (m) => this.log(m) });
    const step = this.buildStep(model, optimizer, lossFn, scaler);
    const sizer = new BatchSizer({
      batchSize: batchSizeOf(this.config.training),
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
      this.log(`rank ${rank()} of ${worldSize()} (pid ${process.pid}): epoch 1 has ${perEpoch} batches, ${rows.length} rows in this rank's shard, first rows ${rows.slice(0, 4).join(', ')}`);
    }
    const totalSteps = t.epochs * Math.ceil(perEpoch / t.gradientAccumulationSteps);
    this.prepared = { data, model, optimizer, step, lossFn, sizer, scaler, totalSteps };
    return this.prepared;
  }

  private buildStep(model: Module, optimizer: Optimizer, lossFn: LossFn, scaler: DynamicLossScaler | null): TrainStep {
    const t = this.config.training;
    // The loss scale changes at run time, so an fp16 step runs eagerly.
    const step = new TrainStep(model, optimizer, lossFn, {
      maxGradNorm: t.maxGradNorm,
      compile: t.compile && scaler === null,
      computeDtype: computeDtypeOf(t.mixedPrecision),
      lossScale: scaler ? () => scaler.scale : undefined,
    });
    guardStepDeadline(step);
    return step;
  }

  /** config.data as data-pipeline options (a k-fold split: the fold of options.fold, else fold 0). */
  private dataOptions(): DataOptions {
    const c = this.config;
    return {
      trainPath: c.data.trainPath,
      labelColumn: c.data.labelColumn,
      idColumn: c.data.idColumn,
      textColumns: c.data.textColumns,
      dropColumns: c.data.dropColumns,
      template: c.data.template,
      validationSplit: c.data.validationSplit,
      kFolds: c.data.kFolds,
      fold: this.options.fold ?? 0,
      seed: c.training.seed,
      tokenizer: c.data.tokenizer,
      vocabSize: c.data.vocabSize,
      maxLength: c.model.maxLength,
      cacheDir: c.data.cacheDir,
    };
  }

  /**
   * The tokenizer and label classes fit() saved in outputDir, when loadWeightsFrom asked for them. A
   * tokenizer trained from the training texts is rebuilt identically from the same data and config, but
   * reading the saved one guarantees predictions use the training vocabulary even if the CSV changed.
   */
  private savedPipeline(): { tokenizer?: Tokenizer; labelClasses?: string[] } {
    if (!this.reuseSavedPipeline) return {};
    const out: { tokenizer?: Tokenizer; labelClasses?: string[] } = {};
    const tokenizerPath = join(this.config.outputDir, TOKENIZER_FILE);
    // A tokenizer named in the config is loaded from there, as in training.
    if (this.config.data.tokenizer === null && existsSync(tokenizerPath)) out.tokenizer = loadTokenizer(tokenizerPath);
    const labelsPath = join(this.config.outputDir, LABELS_FILE);
    if (existsSync(labelsPath)) {
      try {
        out.labelClasses = (JSON.parse(readFileSync(labelsPath, 'utf8')) as { classes: string[] }).classes;
      } catch (err) {
        throw new CheckpointError(`cannot read the saved label map ${labelsPath}: ${(err as Error).message}`);
      }
    }
    return out;
  }

  /** Saves the tokenizer and label classes next to the checkpoints (see savedPipeline). */
  private savePipeline(data: PreparedData): void {
    const dir = this.config.outputDir;
    mkdirSync(dir, { recursive: true });
    data.tokenizer.save(join(dir, TOKENIZER_FILE));
    const labelsPath = join(dir, LABELS_FILE);
    writeFileSync(`${labelsPath}.tmp-${process.pid}`, `${JSON.stringify({ column: data.labels.column, classes: data.labels.classes }, null, 2)}\n`);
    renameSync(`${labelsPath}.tmp-${process.pid}`, labelsPath);
  }

  /**
   * Loads only the model weights of a checkpoint (a file, 'latest' for the newest in
   * outputDir/checkpoints, or 'best' for the one with the best monitored metric, which is the model
   * fit() leaves in memory), so evaluate() and predict() use the trained model; the optimizer state is
   * not restored. When setup() has not run yet, it runs with the tokenizer and label map fit() saved in
   * outputDir. Returns the checkpoint's path. After a k-fold fit, 'latest' / 'best' load every fold's
   * newest / best checkpoint (outputDir/fold-<i>) as the ensemble that predict() averages and evaluate()
   * scores out of fold; the paths are returned comma-separated.
   */
  loadWeightsFrom(checkpoint: string): string {
    const named = checkpoint === 'latest' || checkpoint === 'best';
    if (named && this.config.data.kFolds >= 2 && this.options.fold === undefined && !latestCheckpoint(this.checkpointDir)) return this.loadFoldWeights(checkpoint);
    const path = checkpoint === 'latest' ? latestCheckpoint(this.checkpointDir) : checkpoint === 'best' ? bestCheckpoint(this.checkpointDir) : checkpoint;
    if (!path) throw new CheckpointError(`no checkpoint to load: ${this.checkpointDir} holds no checkpoint-*.safetensors file (train first, or pass a checkpoint path)`);
    const ck = loadCheckpoint(path);
    if (!this.prepared) this.reuseSavedPipeline = true;
    loadCheckpointWeights(this.setup().model, ck);
    return path;
  }

  private loadFoldWeights(which: 'latest' | 'best'): string {
    const k = this.config.data.kFolds;
    const first = join(this.config.outputDir, 'fold-0', 'checkpoints');
    if (!latestCheckpoint(first)) throw new CheckpointError(`no checkpoint to load: neither ${this.checkpointDir} nor the k-fold folder ${first} holds a checkpoint-*.safetensors file (train first, or pass a checkpoint path)`);
    const members: EnsembleMember[] = [];
    const paths: string[] = [];
    for (let fold = 0; fold < k; fold++) {
      const trainer = new Trainer({ ...this.config, outputDir: join(this.config.outputDir, `fold-${fold}`) }, { ...this.options, fold });
      paths.push(trainer.loadWeightsFrom(which));
      members.push({ model: trainer.model as ClassifierModule, data: trainer.data });
    }
    this.ensemble = members;
    this.crossValidation = undefined;
    return paths.join(', ');
  }

  get model(): Module {
    return this.setup().model;
  }

  get data(): PreparedData {
    return this.setup().data;
  }

  /**
   * Trains; resumes from a checkpoint when asked. Marks the tracked run FINISHED, FAILED or KILLED. With
   * data.kFolds ≥ 2 it runs crossValidate() instead. At the end it logs the run summary and writes the
   * charts to outputDir/plots (see callbacks/run-report.ts).
   */
  async fit(options: FitOptions = {}): Promise<FitResult> {
    const started = performance.now();
    checkMonitor(this.config.training.earlyStopping.monitor);
    // A k-fold config trains one Trainer per fold (each of those has options.fold set).
    if (this.config.data.kFolds >= 2 && this.options.fold === undefined) {
      if (options.resumeFrom) throw new ConfigError('resumeFrom is not supported with data.kFolds ≥ 2 (each fold trains from scratch)');
      return this.crossValidate();
    }
    const p = this.setup();
    const c = this.config;
    const state = createState(c, p.totalSteps) as LoopContext['state'];
    const control: TrainerControl = createControl();
    const isMain = rank() === 0;
    if (this.options.fold !== undefined) state.fold = this.options.fold;
    if (isMain) this.savePipeline(p.data);
    const checkpointCb = new CheckpointCallback(this.checkpointDir, c.training.keepCheckpoints, c.training.checkpointEverySteps);
    const tracking = c.tracking.enabled && isMain ? new TrackingCallback({ log: (m) => this.log(m), data: p.data, checkpointCallback: checkpointCb, tags: this.options.trackingTags, runName: this.foldRunName(), skipRegistration: this.options.fold !== undefined }) : null;
    const es = c.training.earlyStopping;
    const early = es.enabled ? [new EarlyStopping({ monitor: es.monitor, mode: es.mode, patience: es.patience, minDelta: es.minDelta, log: (m) => this.log(m) })] : [];
    // History, learning-rate and memory monitors (the one leak alarm), progress; early stopping is added above.
    const progress = this.options.progress ?? true;
    const builtins = builtinCallbacks(c, { log: (m) => this.log(m), earlyStopping: false, progress: isMain ? progress : false });
    const report = isMain
      ? [
          new RunReport({
            history: builtins.history,
            monitor: es.monitor,
            mode: es.mode,
            log: (m) => this.log(m),
            plotsDir: this.options.plots === false ? null : plotsDirOf(c.outputDir),
            evaluate: () => evaluateDetailed(p.model as ClassifierModule, p.data.validationLoader()),
            classNames: p.data.labels.classes,
            tracking,
          }),
        ]
      : [];
    // The report runs before tracking so its metrics and plots land in the run before it is ended.
    const callbacks: Callback[] = [...early, ...builtins.list, ...(isMain ? [checkpointCb] : []), ...report, ...(tracking ? [tracking] : []), ...(this.options.callbacks ?? [])];

    if (options.resumeFrom) this.resume(options.resumeFrom, state, callbacks);

    const ctx: LoopContext = {
      model: p.model,
      step: p.step,
      sizer: p.sizer,
      scaler: p.scaler,
      callbacks,
      state,
      control,
      // Each rank trains on its shard of every batch of the shared-seed order.
      trainLoader: (batching) => shardLoader(p.data.trainLoader({ batching }), rank(), worldSize()),
      evaluate: () => this.evaluate(),
      save: async () => {
        const path = this.saveCheckpoint(state, callbacks, isMain);
        this.lastCheckpoint = path;
        return path;
      },
      warn: (m) => this.log(`warning: ${m}`),
    };
    let restoredBest: FitResult['restoredBest'];
    try {
      await emit(callbacks, 'onTrainStart', state, control);
      if (tracking?.runId) state.runId = tracking.runId;
      await trainLoop(ctx);
      // Before onTrainEnd, so the end-of-run plots and artifacts describe the model fit() returns.
      if (!state.interrupted) await this.options.beforeRestore?.(p.model);
      if (options.restoreBest !== false && !state.interrupted) restoredBest = this.restoreBest(state, builtins.history.evals);
      const kept = keptModelMetrics(state, restoredBest, options.restoreBest !== false);
      // The returned model's metrics, apart from the last evaluation's val_* ones.
      if (kept) await tracking?.logMetrics(metricsForLogging(kept, 'best_val_'), state.globalStep);
      await emit(callbacks, 'onTrainEnd', state, control);
    } catch (err) {
      for (const cb of callbacks) {
        try {
          await cb.onException?.(state, err);
        } catch (inner) {
          this.log(`warning: callback ${cb.name ?? cb.constructor.name} failed in onException: ${(inner as Error).message}`);
        }
      }
      throw err;
    }
    return {
      state,
      metrics: state.lastEval,
      status: state.interrupted ? 'KILLED' : 'FINISHED',
      checkpoint: this.lastCheckpoint,
      runId: state.runId,
      elapsedMs: performance.now() - started,
      restoredBest,
    };
  }

  /**
   * Loads the best checkpoint's weights into the model when the best step is not the last one. The
   * file name follows from the step (rank 0 writes it; other ranks read it when they share outputDir).
   */
  private restoreBest(state: LoopContext['state'], evals: readonly { step: number; metrics: EvalMetrics }[]): FitResult['restoredBest'] {
    const best = state.best;
    if (!best || best.step === state.globalStep) return undefined;
    const path = join(this.checkpointDir, checkpointName(best.step));
    if (!existsSync(path)) {
      this.log(`warning: the best checkpoint ${path} (${best.metric} ${best.value.toPrecision(5)} at step ${best.step}) is missing; keeping the last weights`);
      return undefined;
    }
    loadCheckpointWeights(this.setup().model, loadCheckpoint(path));
    this.log(`restored the best model: ${best.metric} ${best.value.toPrecision(5)} at step ${best.step} of ${state.globalStep} (${path})`);
    return { ...best, checkpoint: path, metrics: evals.find((e) => e.step === best.step)?.metrics };
  }

  private foldRunName(): string | undefined {
    if (this.options.fold === undefined) return undefined;
    return `${this.config.tracking.runName ?? 'cv'}-fold-${this.options.fold}`;
  }

  /**
   * K-fold cross-validation (what fit() does when data.kFolds ≥ 2): one Trainer per fold, each on its
   * split and in outputDir/fold-<i>, tracked as a child run (tag `mlflow.parentRunId`) of a parent run
   * that gets the mean (`val_accuracy`, …) and standard deviation (`val_accuracy_std`, …) of the fold
   * metrics and the out-of-fold ones (`oof_accuracy`, …), all of the checkpoints selected on their fold
   * (optimistic), and the same for the folds' last-epoch models (`last_epoch_val_accuracy`,
   * `oof_last_epoch_accuracy`, …: held out, the honest estimate). The fold models are kept: predict() then
   * averages their probabilities, and evaluate() returns the out-of-fold metrics.
   */
  async crossValidate(): Promise<FitResult> {
    const started = performance.now();
    const c = this.config;
    const k = c.data.kFolds;
    if (k < 2) throw new ConfigError(`crossValidate needs data.kFolds ≥ 2 but it is ${k}`);
    const isMain = rank() === 0;
    const parentState = createState(c, 0);
    const parent = c.tracking.enabled && isMain ? new TrackingCallback({ log: (m) => this.log(m), tags: { ...this.options.trackingTags, 'mlx_train.k_folds': String(k) } }) : null;
    await parent?.onTrainStart(parentState);
    const folds: FitResult[] = [];
    let cv: CrossValidationResult;
    try {
      const pretrainedTokenizer = c.data.tokenizer === null && c.model.pretrained ? c.model.pretrained : c.data.tokenizer;
      cv = await crossValidateFolds({
        data: { ...this.dataOptions(), tokenizer: pretrainedTokenizer },
        k,
        trainFold: async ({ fold, data }) => {
          this.log(`fold ${fold + 1}/${k}: ${data.split.train.length} training rows, ${data.split.validation.length} validation rows`);
          // The last-epoch model on the fold, before fit() puts the checkpoint selected on the fold back.
          let lastEpoch: EvaluationResult | undefined;
          const scoreLastEpoch = async (model: Module) => {
            lastEpoch = await evaluateDetailed(model as ClassifierModule, data.validationLoader());
          };
          const trainer = new Trainer(
            { ...c, outputDir: join(c.outputDir, `fold-${fold}`) },
            {
              ...this.options,
              preparedData: data,
              fold,
              trackingTags: { ...this.options.trackingTags, ...(parent?.runId ? { 'mlflow.parentRunId': parent.runId } : {}), 'mlx_train.fold': String(fold) },
              beforeRestore: scoreLastEpoch,
            },
          );
          const result = await trainer.fit();
          folds.push(result);
          return { model: trainer.model as ClassifierModule, lastEpoch };
        },
        onFoldEnd: (r) => this.log(`fold ${r.fold + 1}/${k}: val_accuracy ${r.metrics.accuracy.toFixed(4)}, val_loss ${r.metrics.loss.toFixed(4)}`),
      });
    } catch (err) {
      await parent?.onException(parentState, err);
      throw err;
    }
    const std = Object.fromEntries(Object.entries(cv.std).map(([key, v]) => [`${key}_std`, v]));
    await parent?.logMetrics({ ...cv.mean, ...std, ...metricsForLogging(cv.outOfFold.metrics, 'oof_'), ...lastEpochMetrics(cv) }, 0);
    const killed = folds.some((f) => f.status === 'KILLED');
    Object.assign(parentState, { interrupted: killed, runId: parent?.runId });
    await parent?.onTrainEnd(parentState);
    this.ensemble = cv.members;
    this.crossValidation = cv;
    this.log(describeCrossValidation(cv));
    if (c.tracking.registerModel) this.log(`note: tracking.registerModel '${c.tracking.registerModel}': a k-fold run registers no model (k fold models, each in its child run's artifacts)`);
    const last = folds[folds.length - 1];
    return {
      state: last.state,
      metrics: cv.outOfFold.metrics,
      status: killed ? 'KILLED' : 'FINISHED',
      runId: parent?.runId,
      elapsedMs: performance.now() - started,
      crossValidation: cv,
      folds,
    };
  }

  private saveCheckpoint(state: LoopContext['state'], callbacks: Callback[], isMain: boolean): string {
    const p = this.setup();
    const callbackStates: Record<string, Record<string, unknown>> = {};
    callbacks.forEach((cb, i) => {
      if (cb.stateDict) callbackStates[cb.name ?? `callback-${i}`] = cb.stateDict();
    });
    const trainer: TrainerCheckpointState = {
      globalStep: state.globalStep,
      epoch: state.epoch,
      batchIndex: state.batchIndex,
      totalSteps: state.totalSteps,
      best: state.best,
      epochBatching: state.batchIndex === 0 ? undefined : state.epochBatching,
      batchSizer: p.sizer.stateDict(),
      lossScaler: p.scaler?.stateDict(),
      skippedSteps: state.skippedSteps,
      dataSeed: this.config.training.seed,
      ...(state.runId ? { runId: state.runId } : {}),
    };
    if (!isMain) return '';
    return saveCheckpoint(this.checkpointDir, { model: p.model, optimizer: p.optimizer, trainer, callbacks: callbackStates, config: this.config });
  }

  private resume(from: string, state: LoopContext['state'], callbacks: Callback[]): void {
    const p = this.setup();
    const path = from === 'latest' ? latestCheckpoint(this.checkpointDir) : from;
    if (!path) throw new CheckpointError(`resumeFrom 'latest': no checkpoint in ${this.checkpointDir}`);
    if (existsSync(path) && statSync(path).isDirectory()) {
      const inside = latestCheckpoint(path);
      throw new ConfigError(
        `--resume '${path}' is a folder; give a checkpoint file${inside ? ` (the latest there is ${inside})` : ''}, or --resume alone for the latest in ${this.checkpointDir}`,
      );
    }
    const ck = this.withPath(path, 'is not a readable checkpoint', () => loadCheckpoint(path));
    this.withPath(path, "does not fit the model this config builds (another model size or architecture?)", () => loadModelWeights(p.model, ck));
    restoreOptimizerState(p.optimizer, p.model, ck.optimizer, path);
    restoreRandomState(ck.rngKey);
    const t = ck.trainer;
    Object.assign(state, { globalStep: t.globalStep, epoch: t.epoch, batchIndex: t.batchIndex, best: t.best, epochBatching: t.epochBatching, skippedSteps: t.skippedSteps });
    // The tracking callback continues this run instead of starting an unlinked one.
    if (typeof t.runId === 'string') state.runId = t.runId;
    if (t.batchSizer) p.sizer.loadStateDict(t.batchSizer as Parameters<BatchSizer['loadStateDict']>[0]);
    if (t.lossScaler && p.scaler) p.scaler.loadStateDict(t.lossScaler as { scale: number; goodSteps: number });
    callbacks.forEach((cb, i) => {
      const saved = ck.callbacks[cb.name ?? `callback-${i}`];
      if (saved && cb.loadStateDict) cb.loadStateDict(saved);
    });
    this.log(`resumed from ${path} at step ${t.globalStep} (epoch ${t.epoch + 1}, batch ${t.batchIndex})`);
  }

  /** Runs `load`; an error that does not already name `path` is re-raised with it (same code). */
  private withPath<T>(path: string, what: string, load: () => T): T {
    try {
      return load();
    } catch (err) {
      const e = err as Error & { code?: string };
      if (typeof e?.message !== 'string' || e.message.includes(path)) throw err;
      const message = `checkpoint ${path} ${what}: ${e.message}`;
      throw err instanceof MlxTrainError ? restate(err, message) : new CheckpointError(message, {}, 'CHECKPOINT_ERROR', { cause: err });
    }
  }

  /** Validation metrics of the current model. */
  async evaluate(): Promise<EvalMetrics> {
    if (this.crossValidation) return this.crossValidation.outOfFold.metrics;
    if (this.ensemble) return outOfFoldMetrics(this.ensemble);
    const p = this.setup();
    const metrics = await evaluateModel(p.model as ClassifierModule, p.data.validationLoader());
    if (!Number.isFinite(metrics.loss)) {
      const nan = nanWeights(p.model);
      if (nan.count) this.log(`warning: the model weights contain NaN (${nan.count} tensor(s), e.g. ${nan.paths.join(', ')}): the validation loss is ${metrics.loss} and the metrics are meaningless`);
    }
    return metrics;
  }

  /**
   * Predicts a CSV with the training columns (label optional): config.data.testPath by default. Writes
   * the submission `predictions.csv` (<idColumn>,<labelColumn>) to outputDir and returns the rows.
   */
  async predict(testCsv?: string): Promise<Prediction[]> {
    const members = this.ensemble ?? { model: this.setup().model as ClassifierModule, data: this.setup().data };
    const path = testCsv ?? this.config.data.testPath;
    if (!path) throw new ConfigError('predict: no CSV given and data.testPath is not set');
    mkdirSync(this.config.outputDir, { recursive: true });
    const out = await predictCsv({
      members,
      testPath: path,
      outputPath: join(this.config.outputDir, 'predictions.csv'),
      batching: { batchSize: batchSizeOf(this.config.training) },
    });
    const k = out.numClasses;
    return out.ids.map((id, i) => ({ id, label: out.labels[i], probabilities: Array.from(out.probabilities.subarray(i * k, (i + 1) * k)) }));
  }

  /** The largest batch (full-length rows) whose training pass fits training.memoryLimitMb. */
  findBatchSize(): { batchSize: number; peakBytes: number } {
    const p = this.setup();
    const t = this.config.training;
    if (t.memoryLimitMb === null) throw new ConfigError('findBatchSize needs training.memoryLimitMb');
    return findBatchSize({
      model: p.model,
      lossFn: p.lossFn,
      maxLength: this.config.model.maxLength,
      vocabSize: p.data.tokenizer.vocabSize,
      start: t.batchSize === 'auto' ? 1 : t.batchSize,
      max: t.maxBatchSize,
      memoryLimitBytes: t.memoryLimitMb * 2 ** 20,
    });
  }

  /** Whether a checkpoint exists to resume from. */
  hasCheckpoint(): boolean {
    return existsSync(this.checkpointDir) && latestCheckpoint(this.checkpointDir) !== null;
  }

  /**
   * Writes the LoRA adapters and the trainable head to `dir` (default outputDir/adapters):
   * adapters.safetensors + adapter_config.json (src/trainer/adapters.ts). Needs training.lora.enabled.
   */
  saveAdapters(dir: string = join(this.config.outputDir, 'adapters')): { weights: string; config: string } {
    return saveAdapterFiles(dir, this.setup().model, this.config);
  }

  /** Loads adapters written by saveAdapters into the model this config builds; returns the names loaded. */
  loadAdapters(dir: string): string[] {
    return loadAdapterFiles(dir, this.setup().model, this.config);
  }

  /**
   * Merges the LoRA adapters into the base weights in place (after fit(), loadAdapters() or
   * loadWeightsFrom()); returns the number of layers fused. A quantized base is dequantized to float32
   * (the merged weights are float, and so is every other layer afterwards), so from then on the trainer
   * describes a plain float model: its config has training.lora and training.quantization disabled,
   * every weight is trainable, and a later fit() trains the whole model with a fresh optimizer.
   */
  fuseAdapters(): number {
    if (!this.config.training.lora.enabled) {
      const why = this.fusedLayers > 0 ? 'the adapters were fused already' : 'this config has no adapters';
      throw new ConfigError(`fuseAdapters needs training.lora.enabled: ${why}`);
    }
    if (this.ensemble) throw new ConfigError('fuseAdapters fuses one model, not a k-fold ensemble: fuse each fold model on its own (a Trainer, or --output-dir, on outputDir/fold-<i>)');
    const p = this.setup();
    const quantized = this.config.training.quantization.enabled;
    const fused = fuseLoRA(p.model, { dequantize: true });
    p.model.unfreeze();
    this._config = fusedConfig(this.config);
    // The parameter tree changed: the optimizer state and the compiled step belong to the old one.
    p.optimizer = makeOptimizer(this.config);
    p.step = this.buildStep(p.model, p.optimizer, p.lossFn, p.scaler);
    this.fusedLayers = fused;
    this.log(`fused ${fused} LoRA layer(s) into the base weights${quantized ? ' (the 4-bit base dequantized to float32)' : ''}`);
    return fused;
  }

  /**
   * Writes the fused model as a self-contained Hugging Face folder: config.json (with the label names
   * as id2label), model.safetensors and the tokenizer (the base checkpoint's files, or the vocabulary
   * trained from the data as tokenizer.json). Fuses first if fuseAdapters() has not run. The folder
   * appears whole or not at all; a non-empty `dir` is refused unless `overwrite`. Afterwards
   * config.model.pretrained names the folder, so `new Trainer(trainer.config)` rebuilds this model.
   * Returns the folder's absolute path.
   */
  saveFused(dir: string, options: SaveFusedOptions = {}): string {
    for (const k of Object.keys(options)) if (k !== 'overwrite') throw new TypeError(`saveFused: unknown option '${k}' (expected overwrite)`);
    if (!this.config.training.lora.enabled && this.fusedLayers === 0) {
      throw new ConfigError('saveFused needs training.lora.enabled: this config has no adapters to fuse (a plain model is saved with models.savePretrained)');
    }
    const p = this.setup();
    if (!isExportable(p.model)) {
      throw new ConfigError(`saveFused writes a Hugging Face folder, which needs a BERT or ModernBERT classifier, but this model is ${p.model.describe()} (from a createModel factory); save its weights with model.saveWeights instead`);
    }
    if (this.config.training.lora.enabled) this.fuseAdapters();
    const c = this.config;
    const fromBase = c.model.pretrained !== null && c.data.tokenizer === null;
    const path = writeFusedFolder(dir, p.model, {
      tokenizerDir: fromBase ? c.model.pretrained! : undefined,
      tokenizer: p.data.tokenizer,
      labels: p.data.labels.classes,
      overwrite: options.overwrite,
    });
    this._config = fusedConfig(c, path);
    this.log(`saved the fused model to ${path}`);
    return path;
  }
}

/** Each fold model on its own validation split, pooled: the out-of-fold metrics of a k-fold ensemble. */
async function outOfFoldMetrics(members: EnsembleMember[]): Promise<EvalMetrics> {
  const labels: number[] = [];
  const probabilities: number[] = [];
  let numClasses = 0;
  for (const m of members) {
    const e = await evaluateDetailed(m.model, m.data.validationLoader());
    numClasses = m.data.labels.numClasses;
    labels.push(...e.labels);
    probabilities.push(...e.probabilities);
  }
  return classificationMetrics({ labels, probabilities, numClasses });
}

function makeOptimizer(c: TrainingConfig): Optimizer {
  const t = c.training;
  const lr = t.learningRate;
  switch (t.optimizer) {
    case 'adamw':
      return new AdamW({ learningRate: lr, weightDecay: t.weightDecay });
    case 'adam':
      return new Adam({ learningRate: lr });
    case 'sgd':
      return new SGD({ learningRate: lr, weightDecay: t.weightDecay });
    case 'lion':
      return new Lion({ learningRate: lr, weightDecay: t.weightDecay });
    case 'adafactor':
      return new Adafactor({ learningRate: lr, weightDecay: t.weightDecay, relativeStep: false } as ConstructorParameters<typeof Adafactor>[0]);
  }
}
