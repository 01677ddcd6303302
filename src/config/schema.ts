/**
 * TrainingConfig: the one schema for a training run. Every field has a default, so `{}` is a valid
 * config; presets (configs/*.yaml) and user files only say what differs. Objects are strict: an
 * unknown key is an error, never silently ignored.
 */
import { z } from 'zod';
import { DEFAULT_TRACKING_URI } from '../tracking/uri.js';
import { SweepSchema } from './sweep-schema.js';

const positiveInt = () => z.number().int().positive();

export const ModelSchema = z
  .object({
    architecture: z.enum(['bert', 'modernbert']).default('bert').describe('Encoder family: BERT (post-norm, absolute positions) or ModernBERT (pre-norm, RoPE, GeGLU).'),
    size: z.enum(['tiny', 'mini', 'small', 'base']).default('mini').describe('Size preset when training from scratch: tiny 2x128, mini 4x256, small 4x512, base 12x768 (layers x hidden).'),
    pretrained: z.string().min(1).nullable().default(null).describe('A Hugging Face checkpoint folder (config.json + model.safetensors + tokenizer); overrides architecture/size.'),
    pooling: z.enum(['cls', 'mean']).default('cls').describe('How the classification head pools token states.'),
    dropout: z.number().min(0).max(0.9).nullable().default(null).describe("Dropout probability in the encoder (BERT: embeddings, attention probabilities, each layer's outputs and the head; ModernBERT: embeddings and MLP). null: 0.1 from scratch, the checkpoint's own values with model.pretrained."),
    maxLength: positiveInt().max(8192).default(128).describe('Maximum tokens per example; longer texts are truncated.'),
    gradientCheckpointing: z.boolean().default(false).describe('Recompute each encoder layer in the backward pass instead of keeping its activations: less memory for roughly one more forward pass per step.'),
    task: z.enum(['auto', 'classification', 'multilabel', 'regression', 'ordinal']).default('auto').describe('What the head predicts; auto infers it from the labels (rule in src/data/targets.ts; `mlx-train config` prints the task and why).'),
  })
  .strict();

const AugmentSchema = z
  .object({
    copies: positiveInt().max(100).default(1).describe('Training examples per row and epoch, each rendered on its own (1: the epoch has as many examples as training rows).'),
    probability: z.number().min(0).max(1).default(1).describe('Chance that a copy is rendered by a template drawn uniformly from all of them (data.template and data.templates) instead of data.template.'),
  })
  .strict();

export const DataSchema = z
  .object({
    trainPath: z.string().min(1).nullable().default(null).describe('Training CSV; null uses the embedded Kaggle Titanic training set.'),
    testPath: z.string().min(1).nullable().default(null).describe('CSV to predict for `predict` (same columns without the label).'),
    labelColumn: z.string().min(1).default('auto').describe('Column holding the class label; auto: a known dataset\'s label column when the CSV has it (Survived for Titanic data), so another CSV must name it.'),
    idColumn: z.string().min(1).nullable().default('auto').describe('Row id column, used in submission files and excluded from the text; auto: a known dataset\'s id column when the CSV has it (PassengerId for Titanic data), else none; null: none.'),
    textColumns: z.array(z.string().min(1)).min(1).nullable().default(null).describe('Columns rendered into the text; null means every column but the label and id.'),
    dropColumns: z.array(z.string().min(1)).default([]).describe('Columns never rendered into the text.'),
    template: z.string().min(1).nullable().default(null).describe('Row-to-text template with {Column} placeholders; null renders "name: value" pairs; auto: the recommended template of the dataset being trained (the embedded Titanic set has one), else "name: value". A real template needs a {Column}, so the word auto is reserved safely.'),
    templates: z.array(z.string().min(1)).min(1).nullable().default(null).describe('More row-to-text templates, for training only: each epoch renders each training row with data.template or one of these (see augment); validation, evaluation and prediction always use data.template.'),
    augment: AugmentSchema.nullable().default(null).describe('Training-time text augmentation; null with templates: one copy per row, probability 1.'),
    validationSplit: z.number().gt(0).lt(1).default(0.2).describe('Fraction held out (stratified) for validation when kFolds is 0.'),
    kFolds: z.number().int().min(0).max(20).refine((k) => k !== 1, 'kFolds must be 0 (off) or at least 2').default(0).describe('Stratified k-fold cross-validation when >= 2.'),
    tokenizer: z.string().min(1).nullable().default(null).describe('tokenizer.json or vocab.txt; null trains a WordPiece vocabulary from the training texts (or uses the pretrained one).'),
    vocabSize: positiveInt().min(100).max(250_000).default(4000).describe('Vocabulary size when a WordPiece vocabulary is trained.'),
    cacheDir: z.string().min(1).default('.mlx-train-cache').describe('Where tokenized datasets are cached.'),
    labelDelimiter: z.string().min(1).nullable().default(null).describe('Multi-label: the label column holds several labels joined by this delimiter (e.g. "|"); makes the task multilabel.'),
    labelColumns: z.array(z.string().min(1)).min(1).nullable().default(null).describe('Multi-label: several 0/1 columns, one per label (replaces labelColumn); makes the task multilabel.'),
    targetScaling: z.enum(['standardize', 'none']).default('standardize').describe('Regression: standardise the target for training (mean/std saved in the checkpoint, undone at prediction).'),
  })
  .strict()
  .refine((d) => d.augment === null || d.templates !== null || d.augment.copies > 1, { message: 'augment does nothing with one template and copies 1: add data.templates, or raise augment.copies', path: ['augment'] })
  .refine((d) => !d.templates?.includes('auto'), { message: "'auto' is only a value of data.template: list template strings in data.templates", path: ['templates'] });

const DistillationSchema = z
  .object({
    teacher: z.string().min(1).describe('The teacher: a checkpoint file, an output folder of a finished run (its best checkpoint; a k-fold run\'s folder gives each fold the teacher of the same fold) or a Hugging Face classifier folder.'),
    temperature: z.number().gt(0).max(100).default(2).describe('Softmax temperature T of both models\' logits in the soft-target loss (KL, scaled by T²).'),
    alpha: z.number().min(0).max(1).default(0.5).describe('Weight of the soft-target loss; 1 - alpha weighs the hard-label loss (training.loss).'),
  })
  .strict();

export const EarlyStoppingSchema = z
  .object({
    enabled: z.boolean().default(false),
    monitor: z.string().min(1).default('val_loss').describe('Metric to watch.'),
    mode: z.enum(['min', 'max']).default('min'),
    patience: positiveInt().default(3).describe('Evaluations without improvement before stopping.'),
    minDelta: z.number().min(0).default(0),
  })
  .strict();

export const QuantizationSchema = z
  .object({
    enabled: z.boolean().default(false),
    bits: z.union([z.literal(4), z.literal(8)]).default(4),
    groupSize: z.union([z.literal(32), z.literal(64), z.literal(128)]).default(64),
  })
  .strict();

export const LoraSchema = z
  .object({
    enabled: z.boolean().default(false),
    rank: positiveInt().max(1024).default(8),
    alpha: z.number().positive().default(16),
    dropout: z.number().min(0).max(0.9).default(0),
    targetModules: z.array(z.string().min(1)).min(1).default(['query', 'value']),
  })
  .strict();

export const TrainingSchema = z
  .object({
    learningRate: z.number().gt(0).lt(10).default(5e-5).describe('Peak learning rate.'),
    epochs: positiveInt().max(10_000).default(3),
    batchSize: z.union([positiveInt(), z.literal('auto')]).default(32).describe('Base batch size; auto runs the batch-size finder before training: the largest full-length batch (up to maxBatchSize) whose training pass fits memoryLimitMb.'),
    maxBatchSize: positiveInt().default(64).describe('Upper bound for dynamic batch sizing.'),
    dynamicBatching: z.boolean().default(true).describe('Grow the batch between batchSize and maxBatchSize within the token budget and memory limit.'),
    gradientAccumulationSteps: positiveInt().max(4096).default(1),
    optimizer: z.enum(['adamw', 'adam', 'sgd', 'lion', 'adafactor']).default('adamw'),
    weightDecay: z.number().min(0).max(1).default(0.01),
    maxGradNorm: z.number().positive().nullable().default(1.0).describe('Clip the global gradient norm; null disables clipping.'),
    schedule: z.enum(['constant', 'linear', 'cosine', 'exponential', 'step']).default('linear').describe('Decay after warmup: constant; linear or cosine to 0 at the last step; exponential (× decayRate every step) or step (× decayRate every decaySteps steps).'),
    decayRate: z.number().gt(0).max(1).default(0.9).describe('The exponential and step schedules: the factor the rate is multiplied by every step (exponential) or every decaySteps steps (step).'),
    decaySteps: positiveInt().default(100).describe('The step schedule: optimizer steps between decays.'),
    warmupRatio: z.number().min(0).max(1).default(0.1).describe('Fraction of total steps spent in linear warmup.'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(42),
    evalEverySteps: z.number().int().min(0).default(0).describe('Evaluate every N optimizer steps; 0 evaluates at the end of each epoch.'),
    checkpointEverySteps: z.number().int().min(0).default(0).describe('Checkpoint every N steps; 0 checkpoints at the end of each epoch.'),
    keepCheckpoints: positiveInt().max(1000).default(2).describe('How many recent checkpoints to keep (the best is always kept).'),
    logEverySteps: positiveInt().default(10),
    earlyStopping: EarlyStoppingSchema.default(EarlyStoppingSchema.parse({})),
    mixedPrecision: z.enum(['off', 'bf16', 'fp16']).default('off').describe('Half-precision compute with fp32 master weights; slow on CPU, so off by default.'),
    quantization: QuantizationSchema.default(QuantizationSchema.parse({})),
    lora: LoraSchema.default(LoraSchema.parse({})),
    compile: z.union([z.boolean(), z.enum(['step', 'update'])], { error: "expected true, false, 'step' or 'update'" }).default('update')
      .describe("What mx.compile covers: 'update' (clip + optimizer update, one trace for the whole run), 'step' or true (the whole step: retraced for every new batch shape, for fixed-shape batches), false (nothing)."),
    loss: z.enum(['auto', 'cross_entropy', 'focal', 'bce', 'mse', 'huber', 'coral']).default('auto').describe("auto: the task's loss (classification cross_entropy, multilabel bce, regression mse, ordinal coral); focal is for classification, huber for regression."),
    huberDelta: z.number().positive().default(1).describe('Huber loss threshold, in standardised target units (loss: huber only).'),
    labelSmoothing: z.number().min(0).lt(1).default(0).describe('Cross-entropy label smoothing (loss: cross_entropy only).'),
    focalGamma: z.number().min(0).max(10).default(2).describe('Focal loss focusing parameter: (1 - p)^gamma down-weights easy rows; 0 is cross-entropy (loss: focal only).'),
    classWeights: z.array(z.number().positive()).nullable().default(null),
    distillation: DistillationSchema.nullable().default(null).describe('Train on a teacher\'s soft targets as well as the labels (the teacher runs forward only, once per training row).'),
    nanPolicy: z.enum(['stop', 'skip']).default('stop').describe('What a NaN/Inf loss does.'),
    memoryLimitMb: z.number().int().positive().nullable().default(null).describe('MLX memory and cache limit, set when the trainer starts; also the budget that drives batch back-off and the batch-size finder. null keeps MLX\'s defaults.'),
  })
  .strict()
  .refine((t) => t.batchSize === 'auto' || t.maxBatchSize >= t.batchSize, { message: 'maxBatchSize must be >= batchSize', path: ['maxBatchSize'] })
  .refine((t) => t.batchSize !== 'auto' || t.memoryLimitMb !== null, { message: 'batchSize: auto fits the batch to training.memoryLimitMb; set memoryLimitMb too', path: ['batchSize'] })
  // The focal loss has no smoothed form here: reject the pair rather than ignore the smoothing.
  .refine((t) => t.loss === 'auto' || t.loss === 'cross_entropy' || t.labelSmoothing === 0, { message: 'labelSmoothing applies to loss: cross_entropy only; with another loss set it to 0 (or use cross_entropy)', path: ['labelSmoothing'] });

export const TrackingSchema = z
  .object({
    enabled: z.boolean().default(true),
    experimentName: z.string().min(1).max(500).default('mlx_training'),
    trackingUri: z.string().min(1).default(DEFAULT_TRACKING_URI).describe('sqlite:///path or http(s)://server; MLFLOW_TRACKING_URI overrides.'),
    artifactLocation: z.string().min(1).default('mlruns/artifacts'),
    runName: z.string().min(1).max(250).nullable().default(null),
    registerModel: z.string().min(1).nullable().default(null).describe('Register the best model under this name in the model registry.'),
    tags: z.record(z.string(), z.string()).default({}),
  })
  .strict()
  // Checked only when tracking is on, so an MLflow file-store MLFLOW_TRACKING_URI does not block --no-track.
  .refine((t) => !t.enabled || /^(sqlite:|https?:\/\/)/i.test(t.trackingUri), {
    message: 'unsupported tracking URI: expected sqlite:///<path> or http(s)://<host> (or tracking.enabled=false / --no-track)',
    path: ['trackingUri'],
  });

export const TrainingConfigSchema = z
  .object({
    extends: z.string().min(1).optional().describe('A preset name (quick, standard, production) or a path to another config file.'),
    model: ModelSchema.default(ModelSchema.parse({})),
    data: DataSchema.default(DataSchema.parse({})),
    training: TrainingSchema.default(TrainingSchema.parse({})),
    tracking: TrackingSchema.default(TrackingSchema.parse({})),
    outputDir: z.string().min(1).default('outputs').describe('Checkpoints, predictions and plots go here.'),
    sweep: SweepSchema.optional().describe('Hyperparameter search run by `mlx-train sweep`; training ignores it.'),
  })
  .strict();

export type TrainingConfig = Omit<z.output<typeof TrainingConfigSchema>, 'extends'>;
export type TrainingConfigInput = z.input<typeof TrainingConfigSchema>;
