/**
 * Trainer: a thin façade over a prepared run (run.ts) — fit (fit.ts), checkpoints (save-resume.ts),
 * k-fold (cross-validate.ts), LoRA fuse (fuse.ts) — usable from any Node program (the CLI is a thin
 * layer over it). Two ways to make one:
 *
 *   const trainer = new Trainer({ preset: 'quick', set: ['training.epochs=2'] }); // config resolved from preset/file/--set
 *   const trainer = Trainer.fromConfig(config, { log });                          // a config object (validated, defaults filled)
 *   const { metrics } = await trainer.fit();
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, resolveConfig } from '../config/load.js';
import type { TrainingConfig, TrainingConfigInput } from '../config/schema.js';
import type { PreparedData } from '../data/dataset.js';
import { ConfigError } from '../errors.js';
import type { Module } from '../nn/index.js';
import { batchSizeOf } from './auto-batch-size.js';
import { findBatchSize } from './batch-size.js';
import { checkFusable, fuseRunAdapters, saveFusedRun } from './fuse.js';
import { loadAdapters as loadAdapterFiles, saveAdapters as saveAdapterFiles } from './adapters.js';
import { crossValidateRun, foldScoring, loadFoldWeights, outOfFoldMetrics, type MakeTrainer } from './cross-validate.js';
import type { ClassifierModule } from './evaluate.js';
import { evaluateRun, fitRun } from './fit.js';
import type { CrossValidationResult } from './kfold.js';
import { predict as predictCsv, type EnsembleMember } from './predict.js';
import { checkpointDirOf } from './run-layout.js';
import { prepareRun, RESOLVE_OPTION_KEYS, RUN_OPTION_KEYS, type FitOptions, type FitResult, type Prediction, type PreparedRun, type RunOptions, type SaveFusedOptions, type TrainerOptions } from './run.js';
import { latestCheckpoint, loadCheckpoint, loadCheckpointWeights } from './run-checkpoint.js';
import { checkpointPath } from './save-resume.js';
import type { EvalMetrics } from './types.js';
import type { TargetScaling } from '../data/targets.js';
import { predictTask, writeTaskPredictions } from './tasks/predict.js';
import { checkTaskMonitor, scalingFrom } from './tasks/session.js';

/** Kept here for callers of the Trainer module; the model building lives in model-setup.ts. */
export { applyAdapters } from './model-setup.js';
export { TOKENIZER_FILE, LABELS_FILE } from './pipeline-files.js';
export type { TrainerOptions, RunOptions, FitOptions, FitResult, Prediction, SaveFusedOptions, PreparedRun } from './run.js';

/** The config Trainer.fromConfig hands to the constructor (a symbol, so no option name can collide). */
const GIVEN_CONFIG = Symbol('config');

function checkOptionKeys(options: object, allowed: readonly string[], hint: string): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`Trainer: expected an options object but received ${String(options)}`);
  for (const k of Object.keys(options)) if (!allowed.includes(k)) throw new TypeError(`Trainer: unknown option '${k}' (expected one of ${allowed.join(', ')})${hint}`);
}

export class Trainer {
  readonly options: RunOptions;
  /** The config before setup (setup may resolve training.batchSize: auto; fuse replaces it). */
  private initialConfig: TrainingConfig;
  private run?: PreparedRun;
  /** The fold models of the last cross-validation, or of loaded fold checkpoints: predict() averages them. */
  private ensemble?: EnsembleMember[];
  private crossValidation?: CrossValidationResult;
  /** Set by loadWeightsFrom: setup() reuses the tokenizer and label map that fit() saved in outputDir. */
  private reuseSavedPipeline = false;
  /** A regression scaling read from the checkpoint loadWeightsFrom loads (used when setup() runs). */
  private savedScaling: TargetScaling | null = null;

  /** Resolves the config from `options` (preset, file, set, overrides; env only when given) like the CLI does. */
  constructor(options: TrainerOptions = {}) {
    const given = (options as { [GIVEN_CONFIG]?: TrainingConfig })[GIVEN_CONFIG];
    checkOptionKeys(options, [...RESOLVE_OPTION_KEYS, ...RUN_OPTION_KEYS], given ? '' : '; a config object goes to Trainer.fromConfig(config, options)');
    const run: Record<string, unknown> = {};
    for (const k of RUN_OPTION_KEYS) if (options[k] !== undefined) run[k] = options[k];
    this.options = run as RunOptions;
    this.initialConfig = given ?? resolveConfig({ env: {}, ...options }).config;
    const out = this.initialConfig.outputDir;
    if (existsSync(out) && !statSync(out).isDirectory()) {
      throw new ConfigError(`outputDir '${out}' is a file, not a folder: checkpoints, plots and predictions go in a folder (--output-dir)`);
    }
  }

  /** From a config object (plain, validated; defaults filled) and the run options. */
  static fromConfig(config: TrainingConfig | TrainingConfigInput, options: RunOptions = {}): Trainer {
    checkOptionKeys(options, RUN_OPTION_KEYS, `; ${RESOLVE_OPTION_KEYS.join('/')} go to new Trainer(options)`);
    return new Trainer({ ...options, [GIVEN_CONFIG]: parseConfig(config as Record<string, unknown>) } as TrainerOptions);
  }

  /** The resolved config; fuseAdapters() replaces it with the config of the fused model. */
  get config(): TrainingConfig {
    return this.run?.config ?? this.initialConfig;
  }

  get checkpointDir(): string {
    return checkpointDirOf(this.config);
  }

  private log = (message: string): void => (this.options.log ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);

  private foldTrainer: MakeTrainer = (config, options) => Trainer.fromConfig(config, options);

  /** Prepares data, model, optimizer and step (once): the record every other method works on. */
  setup(): PreparedRun {
    this.run ??= prepareRun(this.initialConfig, this.options, this.reuseSavedPipeline, this.log, this.savedScaling);
    return this.run;
  }

  get model(): Module {
    return this.setup().model;
  }

  get data(): PreparedData {
    return this.setup().data;
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
    if ((checkpoint === 'latest' || checkpoint === 'best') && this.config.data.kFolds >= 2 && this.options.fold === undefined && !latestCheckpoint(this.checkpointDir)) {
      const { members, paths } = loadFoldWeights(this.config, this.options, checkpoint, this.checkpointDir, this.foldTrainer);
      this.ensemble = members;
      this.crossValidation = undefined;
      return paths;
    }
    const path = checkpointPath(this.checkpointDir, checkpoint);
    const ck = loadCheckpoint(path);
    if (!this.run) this.reuseSavedPipeline = true;
    this.savedScaling = scalingFrom(ck.trainer.targetScaling) ?? this.savedScaling;
    loadCheckpointWeights(this.setup().model, ck);
    return path;
  }

  /**
   * Trains; resumes from a checkpoint when asked. Marks the tracked run FINISHED, FAILED or KILLED. With
   * data.kFolds ≥ 2 it runs crossValidate() instead. At the end it logs the run summary and writes the
   * charts to outputDir/plots (see callbacks/run-report.ts).
   */
  async fit(options: FitOptions = {}): Promise<FitResult> {
    const es = this.config.training.earlyStopping;
    checkTaskMonitor(es.monitor, es.mode, this.config.model.task === 'auto' ? undefined : this.config.model.task, this.options.metrics !== undefined);
    // A k-fold config trains one Trainer per fold (each of those has options.fold set).
    if (this.config.data.kFolds >= 2 && this.options.fold === undefined) {
      if (options.resumeFrom) throw new ConfigError('resumeFrom is not supported with data.kFolds ≥ 2 (each fold trains from scratch)');
      return this.crossValidate();
    }
    return fitRun(this.setup(), options);
  }

  /**
   * K-fold cross-validation (what fit() does when data.kFolds ≥ 2; see cross-validate.ts): each fold's
   * checkpoint selected on it gives the mean/std and out-of-fold metrics (optimistic), its last-epoch
   * model the `last_epoch_*` ones (held out, the honest estimate). The fold models are kept: predict()
   * then averages their probabilities, and evaluate() returns the out-of-fold metrics.
   */
  async crossValidate(): Promise<FitResult> {
    const result = await crossValidateRun(this.config, this.options, this.log, this.foldTrainer);
    this.ensemble = result.crossValidation.members;
    this.crossValidation = result.crossValidation;
    return result;
  }

  /** Validation metrics of the current model (of a k-fold ensemble: out of fold). */
  async evaluate(): Promise<EvalMetrics> {
    if (this.crossValidation) return this.crossValidation.outOfFold.metrics;
    if (this.ensemble) return outOfFoldMetrics(this.ensemble, foldScoring(this.config, this.options));
    return evaluateRun(this.setup());
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
    const batching = { batchSize: batchSizeOf(this.config.training) };
    const task = this.ensemble ? this.ensemble[0].data.targets.task : this.setup().head.task;
    if (task !== 'classification') {
      // A k-fold ensemble: each fold model with the head of its own data (its own target scaling).
      const heads = this.ensemble ? this.ensemble.map((member) => ({ member, head: foldScoring(this.config, this.options).head!(member.data) })) : [{ member: members as EnsembleMember, head: this.setup().head }];
      const file = await predictTask(heads, path, { batching });
      writeTaskPredictions(join(this.config.outputDir, 'predictions.csv'), file);
      return file.predictions;
    }
    const out = await predictCsv({ members, testPath: path, outputPath: join(this.config.outputDir, 'predictions.csv'), batching: { batchSize: batchSizeOf(this.config.training) } });
    const k = out.numClasses;
    return out.ids.map((id, i) => ({ id, label: out.labels[i], probabilities: Array.from(out.probabilities.subarray(i * k, (i + 1) * k)) }));
  }

  /** The largest batch (full-length rows) whose training pass fits training.memoryLimitMb. */
  findBatchSize(): { batchSize: number; peakBytes: number } {
    const p = this.setup();
    const t = this.config.training;
    if (t.memoryLimitMb === null) throw new ConfigError('findBatchSize needs training.memoryLimitMb');
    const start = t.batchSize === 'auto' ? 1 : t.batchSize;
    return findBatchSize({ model: p.model, lossFn: p.lossFn, maxLength: this.config.model.maxLength, vocabSize: p.data.tokenizer.vocabSize, start, max: t.maxBatchSize, memoryLimitBytes: t.memoryLimitMb * 2 ** 20 });
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
    checkFusable(this.config, this.run?.fusedLayers ?? 0, 'fuseAdapters');
    this.refuseEnsemble();
    return fuseRunAdapters(this.setup());
  }

  /**
   * Writes the fused model as a self-contained Hugging Face folder: config.json (with the label names
   * as id2label), model.safetensors and the tokenizer (the base checkpoint's files, or the vocabulary
   * trained from the data as tokenizer.json). Fuses first if fuseAdapters() has not run. The folder
   * appears whole or not at all; a non-empty `dir` is refused unless `overwrite`. Afterwards
   * config.model.pretrained names the folder, so `Trainer.fromConfig(trainer.config)` rebuilds this
   * model. Returns the folder's absolute path.
   */
  saveFused(dir: string, options: SaveFusedOptions = {}): string {
    for (const k of Object.keys(options)) if (k !== 'overwrite') throw new TypeError(`saveFused: unknown option '${k}' (expected overwrite)`);
    checkFusable(this.config, this.run?.fusedLayers ?? 0, 'saveFused');
    if (this.config.training.lora.enabled) this.refuseEnsemble();
    return saveFusedRun(this.setup(), dir, options);
  }

  private refuseEnsemble(): void {
    if (this.ensemble) throw new ConfigError('fuseAdapters fuses one model, not a k-fold ensemble: fuse each fold model on its own (a Trainer, or --output-dir, on outputDir/fold-<i>)');
  }
}
