/**
 * Trainer: a resolved TrainingConfig → data, model, optimizer, compiled step, callbacks → fit / evaluate
 * / predict. Usable from any Node program (the CLI is a thin layer over it):
 *
 *   const trainer = new Trainer({ preset: 'quick' });
 *   const { metrics } = await trainer.fit();
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../core/index.js';
import { parseConfig, resolveConfig, type ResolveOptions } from '../config/load.js';
import type { TrainingConfig, TrainingConfigInput } from '../config/schema.js';
import { prepareData, type PreparedData } from '../data/dataset.js';
import { MlxTrainError } from '../errors.js';
import { bertConfig, createModel, loadPretrained, modernBertConfig } from '../models/index.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { LoRALinear, Linear, Module, quantize } from '../nn/index.js';
import { Adafactor, Adam, AdamW, Lion, SGD, type Optimizer } from '../optim/index.js';
import { BatchSizer, findBatchSize } from './batch-size.js';
import { latestCheckpoint, loadCheckpoint, restoreOptimizerState, saveCheckpoint, type TrainerCheckpointState } from './checkpoint.js';
import { CheckpointCallback } from './callbacks/checkpoint.js';
import { EarlyStopping } from './callbacks/early-stopping.js';
import { TrackingCallback } from './callbacks/tracking.js';
import { rank } from './distributed.js';
import { classificationLoss, emit, trainLoop, type LoopContext } from './loop.js';
import { evaluate as evaluateModel, type ClassifierModule } from './evaluate.js';
import { predict as predictCsv } from './predict.js';
import { computeDtypeOf, DynamicLossScaler } from './precision.js';
import { restoreRandomState, seedEverything } from './rng.js';
import { createControl, createState } from './state.js';
import { TrainStep, type LossFn } from './step.js';
import type { Callback, EvalMetrics, TrainerControl, TrainerState } from './types.js';

export interface TrainerOptions extends ResolveOptions {
  /** Extra callbacks, run after the built-in ones. */
  callbacks?: Callback[];
  /** Builds the model instead of the config's architecture (custom models, tests). */
  createModel?: (info: { vocabSize: number; numLabels: number; padTokenId: number; config: TrainingConfig }) => Module;
  /** Where progress messages and warnings go (default: stderr). */
  log?: (message: string) => void;
}

export interface FitOptions {
  /** A checkpoint file to continue from, or 'latest' for the newest one in outputDir/checkpoints. */
  resumeFrom?: string;
}

export interface FitResult {
  state: TrainerState;
  /** The last validation metrics. */
  metrics?: EvalMetrics;
  status: 'FINISHED' | 'KILLED';
  /** Newest checkpoint written, if any. */
  checkpoint?: string;
  runId?: string;
  elapsedMs: number;
}

export interface Prediction {
  id: string;
  label: string;
  probabilities: number[];
}

const OPTION_KEYS = ['preset', 'file', 'set', 'env', 'overrides', 'callbacks', 'createModel', 'log'];

function isOptions(v: object): v is TrainerOptions {
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => OPTION_KEYS.includes(k));
}

export class Trainer {
  readonly config: TrainingConfig;
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

  /** From a config (plain object, validated; defaults filled) or resolve options ({preset, file, set, overrides}). */
  constructor(config: TrainingConfig | TrainingConfigInput | TrainerOptions = {}, options: TrainerOptions = {}) {
    if (config !== null && typeof config === 'object' && isOptions(config)) {
      this.options = { ...config, ...options };
      this.config = resolveConfig({ env: {}, ...this.options }).config;
    } else {
      this.options = options;
      this.config = parseConfig(config as Record<string, unknown>);
    }
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
    let pretrained: ReturnType<typeof loadPretrained> | null = null;
    if (c.model.pretrained) pretrained = loadPretrained(c.model.pretrained, { task: 'sequence-classification', tokenizer: c.data.tokenizer === null });
    const data = prepareData({
      trainPath: c.data.trainPath,
      labelColumn: c.data.labelColumn,
      idColumn: c.data.idColumn,
      textColumns: c.data.textColumns,
      dropColumns: c.data.dropColumns,
      template: c.data.template,
      validationSplit: c.data.validationSplit,
      kFolds: c.data.kFolds,
      fold: 0,
      seed: t.seed,
      tokenizer: (pretrained?.tokenizer as Tokenizer | null | undefined) ?? c.data.tokenizer,
      vocabSize: c.data.vocabSize,
      maxLength: c.model.maxLength,
      cacheDir: c.data.cacheDir,
    });
    const numLabels = data.labels.numClasses;
    const padTokenId = data.tokenizer.tokenToId('[PAD]') ?? 0;
    // Model init draws from the global key: reseed so the weights do not depend on what data prep drew.
    seedEverything(t.seed);
    let model: Module;
    if (this.options.createModel) model = this.options.createModel({ vocabSize: data.tokenizer.vocabSize, numLabels, padTokenId, config: c });
    else if (pretrained) {
      // Reload only when the head must change (another label count or pooling).
      const fits = pretrained.config.numLabels === numLabels && pretrained.config.classifierPooling === c.model.pooling;
      model = fits ? pretrained.model : loadPretrained(c.model.pretrained!, { task: 'sequence-classification', numLabels, tokenizer: false, config: { classifierPooling: c.model.pooling } }).model;
    } else {
      const common = { vocabSize: data.tokenizer.vocabSize, numLabels, padTokenId, maxPositionEmbeddings: Math.max(c.model.maxLength, 8), classifierPooling: c.model.pooling };
      const cfg = c.model.architecture === 'bert'
        ? bertConfig(c.model.size, { ...common, hiddenDropoutProb: c.model.dropout, attentionProbsDropoutProb: c.model.dropout })
        : modernBertConfig(c.model.size, { ...common, mlpDropout: c.model.dropout, embeddingDropout: c.model.dropout });
      model = createModel(cfg, 'sequence-classification') as Module;
    }
    applyAdapters(model, c);
    model.train();
    mx.eval(model.parameters());
    const optimizer = makeOptimizer(c);
    const computeDtype = computeDtypeOf(t.mixedPrecision);
    const scaler = t.mixedPrecision === 'fp16' ? new DynamicLossScaler() : null;
    const lossFn = classificationLoss(t);
    // The loss scale changes at run time, so an fp16 step runs eagerly.
    const step = new TrainStep(model, optimizer, lossFn, {
      maxGradNorm: t.maxGradNorm,
      compile: t.compile && scaler === null,
      computeDtype,
      lossScale: scaler ? () => scaler.scale : undefined,
    });
    const sizer = new BatchSizer({
      batchSize: t.batchSize,
      maxBatchSize: t.maxBatchSize,
      maxLength: c.model.maxLength,
      dynamic: t.dynamicBatching,
      memoryLimitBytes: t.memoryLimitMb === null ? null : t.memoryLimitMb * 2 ** 20,
    });
    const perEpoch = data.trainLoader({ batching: sizer.batching(), prefetch: 0 }).numBatches(0);
    const totalSteps = t.epochs * Math.ceil(perEpoch / t.gradientAccumulationSteps);
    this.prepared = { data, model, optimizer, step, lossFn, sizer, scaler, totalSteps };
    return this.prepared;
  }

  get model(): Module {
    return this.setup().model;
  }

  get data(): PreparedData {
    return this.setup().data;
  }

  /** Trains; resumes from a checkpoint when asked. Marks the tracked run FINISHED, FAILED or KILLED. */
  async fit(options: FitOptions = {}): Promise<FitResult> {
    const started = performance.now();
    const p = this.setup();
    const c = this.config;
    const state = createState(c, p.totalSteps) as LoopContext['state'];
    const control: TrainerControl = createControl();
    const isMain = rank() === 0;
    const checkpointCb = new CheckpointCallback(this.checkpointDir, c.training.keepCheckpoints, c.training.checkpointEverySteps);
    const tracking = c.tracking.enabled && isMain ? new TrackingCallback({ log: (m) => this.log(m), data: p.data, checkpointCallback: checkpointCb }) : null;
    const es = c.training.earlyStopping;
    const early = es.enabled ? [new EarlyStopping({ monitor: es.monitor, mode: es.mode, patience: es.patience, minDelta: es.minDelta, log: (m) => this.log(m) })] : [];
    const callbacks: Callback[] = [...early, ...(isMain ? [checkpointCb] : []), ...(tracking ? [tracking] : []), ...(this.options.callbacks ?? [])];

    if (options.resumeFrom) this.resume(options.resumeFrom, state, callbacks);

    const ctx: LoopContext = {
      model: p.model,
      step: p.step,
      sizer: p.sizer,
      scaler: p.scaler,
      callbacks,
      state,
      control,
      trainLoader: (batching) => p.data.trainLoader({ batching }),
      evaluate: () => this.evaluate(),
      save: async () => {
        const path = this.saveCheckpoint(state, callbacks, isMain);
        this.lastCheckpoint = path;
        return path;
      },
      warn: (m) => this.log(`warning: ${m}`),
    };
    try {
      await emit(callbacks, 'onTrainStart', state, control);
      if (tracking?.runId) state.runId = tracking.runId;
      await trainLoop(ctx);
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
    };
    if (!isMain) return '';
    return saveCheckpoint(this.checkpointDir, { model: p.model, optimizer: p.optimizer, trainer, callbacks: callbackStates, config: this.config });
  }

  private resume(from: string, state: LoopContext['state'], callbacks: Callback[]): void {
    const p = this.setup();
    const path = from === 'latest' ? latestCheckpoint(this.checkpointDir) : from;
    if (!path) throw new MlxTrainError(`resumeFrom 'latest': no checkpoint in ${this.checkpointDir}`, 'CHECKPOINT_ERROR');
    const ck = loadCheckpoint(path);
    p.model.loadWeights(ck.model.map(([k, v]) => [k, mx.keep(v)] as [string, mx.Array]));
    restoreOptimizerState(p.optimizer, p.model, ck.optimizer, path);
    restoreRandomState(ck.rngKey);
    const t = ck.trainer;
    Object.assign(state, { globalStep: t.globalStep, epoch: t.epoch, batchIndex: t.batchIndex, best: t.best, epochBatching: t.epochBatching, skippedSteps: t.skippedSteps });
    if (t.batchSizer) p.sizer.loadStateDict(t.batchSizer as Parameters<BatchSizer['loadStateDict']>[0]);
    if (t.lossScaler && p.scaler) p.scaler.loadStateDict(t.lossScaler as { scale: number; goodSteps: number });
    callbacks.forEach((cb, i) => {
      const saved = ck.callbacks[cb.name ?? `callback-${i}`];
      if (saved && cb.loadStateDict) cb.loadStateDict(saved);
    });
    this.log(`resumed from ${path} at step ${t.globalStep} (epoch ${t.epoch + 1}, batch ${t.batchIndex})`);
  }

  /** Validation metrics of the current model. */
  async evaluate(): Promise<EvalMetrics> {
    const p = this.setup();
    return evaluateModel(p.model as ClassifierModule, p.data.validationLoader());
  }

  /**
   * Predicts a CSV with the training columns (label optional): config.data.testPath by default. Writes
   * the submission `predictions.csv` (<idColumn>,<labelColumn>) to outputDir and returns the rows.
   */
  async predict(testCsv?: string): Promise<Prediction[]> {
    const p = this.setup();
    const path = testCsv ?? this.config.data.testPath;
    if (!path) throw new MlxTrainError('predict: no CSV given and data.testPath is not set', 'CONFIG_ERROR');
    mkdirSync(this.config.outputDir, { recursive: true });
    const out = await predictCsv({
      members: { model: p.model as ClassifierModule, data: p.data },
      testPath: path,
      outputPath: join(this.config.outputDir, 'predictions.csv'),
      batching: { batchSize: this.config.training.batchSize },
    });
    const k = out.numClasses;
    return out.ids.map((id, i) => ({ id, label: out.labels[i], probabilities: Array.from(out.probabilities.subarray(i * k, (i + 1) * k)) }));
  }

  /** The largest batch (full-length rows) whose training pass fits training.memoryLimitMb. */
  findBatchSize(): { batchSize: number; peakBytes: number } {
    const p = this.setup();
    const t = this.config.training;
    if (t.memoryLimitMb === null) throw new MlxTrainError('findBatchSize needs training.memoryLimitMb', 'CONFIG_ERROR');
    return findBatchSize({
      model: p.model,
      lossFn: p.lossFn,
      maxLength: this.config.model.maxLength,
      vocabSize: p.data.tokenizer.vocabSize,
      start: t.batchSize,
      max: t.maxBatchSize,
      memoryLimitBytes: t.memoryLimitMb * 2 ** 20,
    });
  }

  /** Whether a checkpoint exists to resume from. */
  hasCheckpoint(): boolean {
    return existsSync(this.checkpointDir) && latestCheckpoint(this.checkpointDir) !== null;
  }
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

/**
 * Quantization and LoRA from the config: quantize the Linear layers (a frozen base), then wrap the
 * target layers (by member name, e.g. 'query' matches queryProj) in LoRALinear; with LoRA only the
 * adapters and the classifier head train.
 */
export function applyAdapters(model: Module, c: TrainingConfig): void {
  const q = c.training.quantization;
  const lora = c.training.lora;
  const isHead = (path: string) => /(^|\.)classifier(\.|$)|(^|\.)head(\.|$)/.test(path);
  if (q.enabled) {
    quantize(model, { bits: q.bits, groupSize: q.groupSize, classPredicate: (path, m) => m instanceof Linear && !isHead(path) && m.inputDims % q.groupSize === 0 });
  }
  if (!lora.enabled) return;
  model.freeze();
  const targets = lora.targetModules.map((t) => t.toLowerCase());
  let wrapped = 0;
  for (const [, parent] of model.namedModules()) {
    for (const [key, child] of Object.entries(parent)) {
      if (!(child instanceof Module) || key.startsWith('_')) continue;
      const isLinear = child.constructor.name === 'Linear' || child.constructor.name === 'QuantizedLinear';
      if (isLinear && targets.some((t) => key.toLowerCase().startsWith(t))) {
        (parent as unknown as Record<string, unknown>)[key] = LoRALinear.fromBase(child as never, { rank: lora.rank, alpha: lora.alpha, dropout: lora.dropout });
        wrapped++;
      }
    }
  }
  if (wrapped === 0) throw new MlxTrainError(`training.lora.targetModules ${JSON.stringify(lora.targetModules)} matched no Linear layer of the model`, 'CONFIG_ERROR');
  for (const [path, m] of model.namedModules()) if (isHead(path)) m.unfreeze();
}
