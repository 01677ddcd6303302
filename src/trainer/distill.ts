/**
 * Knowledge distillation (training.distillation): the student learns from a teacher's soft targets as
 * well as from the labels. The loss is
 *
 *   alpha · T² · KL(softmax(teacher / T) ‖ softmax(student / T)) + (1 − alpha) · hard-label loss,
 *
 * the KL summed over classes and averaged over rows (PyTorch's `kl_div(…, reduction='batchmean')`), scaled
 * by T² so its gradients keep their size as T changes (Hinton et al.). The hard-label loss is whatever
 * training.loss builds, composed rather than re-implemented.
 *
 * The teacher runs forward once per training row before training starts (in eval mode, no gradients),
 * with its own tokenizer and text rules, and its logits travel with each batch as soft targets
 * (data/collate.ts packs them beside the labels). Precomputing is cheaper than a teacher forward pass per
 * step (a row is seen every epoch), and it keeps the teacher out of the compiled step; a resumed run
 * recomputes the same logits from the same teacher weights.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import * as mx from '../core/index.js';
import { tidy } from '../core/scope.js';
import { parseConfig } from '../config/load.js';
import type { TrainingConfig } from '../config/schema.js';
import { type SoftTargets, toMxBatch } from '../data/collate.js';
import { type PreparedData, predictionLoader } from '../data/dataset.js';
import type { TargetScaling } from '../data/targets.js';
import { ConfigError } from '../errors.js';
import type { Module } from '../nn/index.js';
import { binaryCrossEntropy } from '../nn/losses.js';
import type { TaskKind } from '../data/targets.js';
import { bestCheckpoint, loadCheckpoint, loadCheckpointWeights } from './run-checkpoint.js';
import type { ClassifierModule } from './evaluate.js';
import type { LossFn, StepBatch } from './step.js';
import { scalingFrom } from './tasks/session.js';

export interface DistillationSettings {
  temperature: number;
  alpha: number;
  /** The student's task (default classification) and its label values per row (multilabel: L; else 1). */
  task?: TaskKind;
  labelWidth?: number;
}

/** T² · KL(softmax(teacher/T) ‖ softmax(student/T)): summed over classes, mean over rows. */
export function softTargetLoss(studentLogits: mx.Array, teacherLogits: mx.Array, temperature: number): mx.Array {
  const logProbs = (logits: mx.Array) => {
    const z = mx.divide(logits.astype('float32'), temperature);
    return mx.subtract(z, mx.logsumexp(z, -1, true));
  };
  const s = logProbs(studentLogits);
  const t = logProbs(teacherLogits);
  const kl = mx.sum(mx.multiply(mx.exp(t), mx.subtract(t, s)), -1);
  return mx.multiply(mx.mean(kl), temperature * temperature);
}

/**
 * T² · BCE(sigmoid(student/T), sigmoid(teacher/T)) of independent sigmoid outputs: multilabel's labels
 * (mean over rows and labels, as its hard loss) or ordinal's "y > k" thresholds (summed over thresholds,
 * mean over rows, as CORAL's loss).
 */
export function sigmoidSoftTargetLoss(studentLogits: mx.Array, teacherLogits: mx.Array, temperature: number, over: 'mean' | 'sum'): mx.Array {
  const z = mx.divide(studentLogits.astype('float32'), temperature);
  const target = mx.sigmoid(mx.divide(teacherLogits.astype('float32'), temperature));
  const cells = binaryCrossEntropy(z, target, { withLogits: true, reduction: 'none' });
  const loss = over === 'mean' ? mx.mean(cells) : mx.mean(mx.sum(cells, -1));
  return mx.multiply(loss, temperature * temperature);
}

/**
 * The distillation loss around `hard` (training.loss). Batches with soft targets carry float32 labels
 * [rows, labelWidth + teacher width] (the labels, then the teacher's outputs); a batch with plain labels
 * (the batch-size finder's synthetic ones) gets the hard-label loss alone. The soft term per task:
 * classification KL at T (softTargetLoss); regression the hard loss itself (MSE or Huber) against the
 * teacher's prediction in the student's standardised target space (T plays no part); multilabel and
 * ordinal BCE to the teacher's sigmoid outputs at T (sigmoidSoftTargetLoss).
 */
export function distillationLoss(hard: LossFn, settings: DistillationSettings): LossFn {
  const { temperature, alpha } = settings;
  const task = settings.task ?? 'classification';
  const lw = settings.labelWidth ?? 1;
  const unpack = (batch: StepBatch): { labels: mx.Array; teacher: mx.Array | null } => {
    const labels = batch.labels;
    if (labels.ndim === 1 || labels.shape[1] === (task === 'multilabel' ? lw : 0)) return { labels, teacher: null };
    const [rows, width] = labels.shape;
    const own = mx.slice(labels, [0, 0], [rows, lw]);
    const plain = task === 'multilabel' ? own : own.reshape([rows]);
    return { labels: task === 'classification' || task === 'ordinal' ? plain.astype('int32') : plain, teacher: mx.slice(labels, [0, lw], [rows, width]) };
  };
  const fn: LossFn = (model: Module, batch: StepBatch): mx.Array => {
    const logits = model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds }) as mx.Array;
    // The hard loss gets a stand-in model that returns these logits: one forward pass serves both terms.
    const computed = { forward: () => logits } as unknown as Module;
    const { labels, teacher } = unpack(batch);
    const hardLoss = () => hard(computed, { ...batch, labels });
    if (!teacher) return hardLoss();
    if (teacher.shape[1] !== logits.shape[1]) throw new ConfigError(`training.distillation: the teacher gives ${teacher.shape[1]} outputs per row but the student ${logits.shape[1]}`);
    const soft =
      task === 'classification' ? softTargetLoss(logits, teacher, temperature)
      : task === 'regression' ? hard(computed, { ...batch, labels: teacher.reshape([-1]) })
      : sigmoidSoftTargetLoss(logits, teacher, temperature, task === 'multilabel' ? 'mean' : 'sum');
    if (alpha === 1) return soft;
    return mx.add(mx.multiply(soft, alpha), mx.multiply(hardLoss(), 1 - alpha));
  };
  if (hard.normalizer) {
    const normalizer = hard.normalizer;
    fn.normalizer = (batch) => normalizer({ ...batch, labels: unpack(batch).labels });
  }
  return fn;
}

/** A teacher ready to run: its model and the data pipeline (tokenizer, text rules, classes) it was trained with. */
export interface Teacher {
  model: ClassifierModule;
  data: PreparedData;
}

/** Prepares a run of a teacher's config with the tokenizer and labels its run saved (run.ts passes prepareRun in, so the two modules do not import each other). */
export type PrepareTeacher = (config: TrainingConfig) => { model: Module; data: PreparedData };

/** The soft targets of training.distillation for the student's data (`fold`: the student's k-fold index). */
export function distillationTargets(student: TrainingConfig, fold: number | undefined, data: PreparedData, prepareTeacher: PrepareTeacher, log: (message: string) => void): SoftTargets {
  const d = student.training.distillation;
  if (!d) throw new ConfigError('distillationTargets: training.distillation is not set');
  const { config, checkpoint } = resolveTeacher(d.teacher, student, fold);
  const trainer = prepareTeacher(config);
  const ck = checkpoint ? loadCheckpoint(checkpoint) : null;
  if (ck) loadCheckpointWeights(trainer.model, ck);
  const started = performance.now();
  // A regression teacher's own target scaling, as its checkpoint saved it.
  const scaling = scalingFrom(ck?.trainer.targetScaling);
  const targets = teacherLogits({ model: trainer.model as ClassifierModule, data: trainer.data, scaling }, data, 32);
  log(`distillation: teacher ${checkpoint ?? config.model.pretrained} scored ${targets.values.length / targets.width} rows in ${((performance.now() - started) / 1000).toFixed(1)} s (T ${d.temperature}, alpha ${d.alpha})`);
  return targets;
}

/**
 * What `teacher` names, as the config and checkpoint a TeacherFactory builds it from: a checkpoint file
 * (its stored config; tokenizer and labels from the run's output folder), a run's output folder (its best
 * checkpoint; a k-fold run's folder: the teacher of `fold`) or a Hugging Face classifier folder (the
 * student's text rules, the folder's tokenizer).
 */
export function resolveTeacher(teacher: string, student: TrainingConfig, fold: number | undefined): { config: TrainingConfig; checkpoint: string | null } {
  const where = `training.distillation.teacher '${teacher}'`;
  if (!existsSync(teacher)) throw new ConfigError(`${where}: no such file or folder`);
  if (statSync(teacher).isFile()) {
    const ck = loadCheckpoint(teacher);
    const runDir = basename(dirname(teacher)) === 'checkpoints' ? dirname(dirname(teacher)) : dirname(teacher);
    // Forward only: the teacher's own teacher and augmentation play no part (its saved tokenizer is read back).
    // Parsed again: a checkpoint written by an older version lacks newer keys, which get their defaults.
    const config = parseConfig({
      ...ck.config,
      outputDir: runDir,
      data: { ...ck.config.data, templates: null, augment: null },
      training: { ...ck.config.training, distillation: null },
      tracking: { ...ck.config.tracking, enabled: false },
    });
    checkFolds(config, student, where);
    return { config, checkpoint: teacher };
  }
  if (existsSync(join(teacher, 'config.json'))) return { config: hfTeacherConfig(teacher, student, where), checkpoint: null };
  const folded = join(teacher, `fold-${fold ?? 0}`);
  if (!existsSync(join(teacher, 'checkpoints')) && existsSync(folded)) {
    if (fold === undefined) throw new ConfigError(`${where} is a k-fold run (fold-<i> folders): distill a student with the same data.kFolds, whose fold i learns from the teacher of fold i, or name one checkpoint file`);
    return resolveTeacher(folded, student, fold);
  }
  const best = bestCheckpoint(join(teacher, 'checkpoints'));
  if (!best) throw new ConfigError(`${where}: neither a checkpoint file, a run's output folder with checkpoints/, nor a Hugging Face folder with config.json`);
  return resolveTeacher(best, student, fold);
}

/** A k-fold teacher's validation rows must be the student's, or the teacher would have trained on them. */
function checkFolds(teacher: TrainingConfig, student: TrainingConfig, where: string): void {
  const k = teacher.data.kFolds;
  if (k < 2) return;
  if (student.data.kFolds !== k || student.training.seed !== teacher.training.seed || !sameFile(student.data.trainPath, teacher.data.trainPath)) {
    throw new ConfigError(
      `${where} is a fold model of a ${k}-fold run (seed ${teacher.training.seed}); its folds must be the student's, or it would have trained on the student's validation rows: set data.kFolds=${k} and training.seed=${teacher.training.seed} on the same data.trainPath`,
    );
  }
}

/** The same training data: the same path (null: the embedded set) or the same bytes elsewhere. */
function sameFile(a: string | null, b: string | null): boolean {
  if (a === b) return true;
  return a !== null && b !== null && existsSync(a) && existsSync(b) && readFileSync(a).equals(readFileSync(b));
}

/**
 * The student's config with the folder as its model (pooled as the folder's config.json says, which the
 * model built from a config would otherwise override): no adapters, no distillation, nothing tracked.
 */
function hfTeacherConfig(dir: string, student: TrainingConfig, where: string): TrainingConfig {
  let json: { id2label?: unknown; classifier_pooling?: unknown };
  try {
    json = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new ConfigError(`${where}: cannot read config.json: ${(err as Error).message}`);
  }
  if (!json.id2label || typeof json.id2label !== 'object') {
    throw new ConfigError(`${where}: config.json has no id2label, so the folder is no classifier fine-tuned for these labels (a fused run's folder has one: mlx-train fuse)`);
  }
  const t = student.training;
  return {
    ...student,
    model: { ...student.model, pretrained: dir, pooling: json.classifier_pooling === 'mean' ? 'mean' : 'cls' },
    data: { ...student.data, tokenizer: null, templates: null, augment: null },
    training: { ...t, distillation: null, lora: { ...t.lora, enabled: false }, quantization: { ...t.quantization, enabled: false }, batchSize: t.batchSize === 'auto' ? 32 : t.batchSize },
    tracking: { ...student.tracking, enabled: false },
  };
}

/**
 * The teacher's outputs for every row of the student's training CSV, in file order: its logits
 * (classification, multilabel, ordinal), or for regression its prediction moved into the student's
 * standardised target space (teacher scaling undone, student scaling applied). A teacher of another task
 * or another label set is refused.
 */
export function teacherLogits(teacher: Teacher & { scaling?: TargetScaling | null }, student: PreparedData, batchSize: number): SoftTargets {
  const tt = teacher.data.targets;
  const st = student.targets;
  if (tt.task !== st.task) {
    throw new ConfigError(`training.distillation.teacher is a ${tt.task} model but the student's task is ${st.task} (${st.reason}): distil from a teacher trained for the same task`);
  }
  const teacherClasses = teacher.data.labels.classes;
  const studentClasses = student.labels.classes;
  if (teacherClasses.join('\u0000') !== studentClasses.join('\u0000')) {
    const what = { classification: 'classes', ordinal: 'classes', multilabel: 'labels', regression: 'target column' }[st.task];
    throw new ConfigError(`training.distillation.teacher was trained on the ${what} [${teacherClasses.join(', ')}] but the student's are [${studentClasses.join(', ')}]`);
  }
  const table = teacher.data.encodeFile(student.options.trainPath);
  const width = st.task === 'ordinal' ? studentClasses.length - 1 : st.task === 'regression' ? 1 : studentClasses.length;
  const values = new Float32Array(table.rowCount * width);
  const model = teacher.model;
  const wasTraining = model.training;
  model.eval();
  try {
    for (const host of predictionLoader(table, teacher.data.tokenizer, { batchSize }).hostBatches(0)) {
      const batch = toMxBatch(host);
      try {
        const logits = tidy(() => {
          const out = model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds }).astype('float32');
          mx.eval(out);
          return out.toTypedArray() as Float32Array;
        });
        if (logits.length !== host.rows.length * width) throw new ConfigError(`training.distillation.teacher gives ${logits.length / host.rows.length} outputs per row but the student's ${st.task} head has ${width}`);
        host.rows.forEach((row, b) => values.set(logits.subarray(b * width, (b + 1) * width), row * width));
      } finally {
        batch.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
  }
  if (st.task === 'regression') {
    const from = teacher.scaling ?? tt.scaling ?? { mean: 0, std: 1 };
    const to = st.scaling ?? { mean: 0, std: 1 };
    for (let i = 0; i < values.length; i++) values[i] = (values[i] * from.std + from.mean - to.mean) / to.std;
  }
  return { values, width };
}
