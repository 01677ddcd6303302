/**
 * One task head per task: how many outputs the model has, what its logits mean (outputs), the training
 * loss and the evaluation loss, and the metrics of the outputs. The encoder and its Linear classifier
 * are the same for every task; only the width and the reading of the logits change.
 *
 * - classification: K logits, softmax; cross-entropy or focal (../loss.ts).
 * - multilabel: L logits, one sigmoid per label; per-label binary cross-entropy with logits (mean over
 *   rows and labels).
 * - regression: 1 output, the standardised target (data.targetScaling); MSE or Huber (training.huberDelta)
 *   on the standardised scale. Metrics are in target units (the scaling undone).
 * - ordinal: K − 1 logits, logit k scoring "y > k" (the ordinal binary decomposition of Niu et al. 2016,
 *   trained with CORAL's loss: the sum of the K − 1 binary cross-entropies, mean over rows). The head is
 *   the ordinary Linear layer, so unlike CORAL proper the K − 1 tasks do not share one weight vector
 *   (rank consistency is not built in); the predicted class is the number of "y > k" probabilities
 *   ≥ 0.5, and the class probabilities are the differences of the cumulative ones (clipped at 0, normalised).
 */
import * as mx from '../../core/index.js';
import type { TrainingConfig } from '../../config/schema.js';
import type { Targets, TaskKind } from '../../data/targets.js';
import { ConfigError } from '../../errors.js';
import { binaryCrossEntropy, mseLoss } from '../../nn/losses.js';
import type { Module } from '../../nn/index.js';
import { meanCrossEntropy } from '../evaluate.js';
import { classificationLoss } from '../loss.js';
import { argmaxRows, classificationMetrics } from '../metrics.js';
import type { LossFn, StepBatch } from '../step.js';
import type { EvalMetrics } from '../types.js';
import type { TaskPredictions } from './hooks.js';
import { multilabelMetrics, ordinalMetrics, regressionMetrics } from './metrics.js';

type MxArray = mx.Array;

/** A custom training loss: the batch's logits (the model's raw outputs) and the batch (labels included) → a scalar mean. */
export type CustomLoss = (logits: MxArray, batch: StepBatch) => MxArray;

export type TaskLossName = 'cross_entropy' | 'focal' | 'bce' | 'mse' | 'huber' | 'coral';

const LOSSES: Record<TaskKind, readonly TaskLossName[]> = {
  classification: ['cross_entropy', 'focal'],
  multilabel: ['bce'],
  regression: ['mse', 'huber'],
  ordinal: ['coral'],
};

/** training.loss for a task: auto → the task's first loss; a loss of another task is a config error. */
export function resolveLoss(task: TaskKind, loss: TrainingConfig['training']['loss']): TaskLossName {
  if (loss === 'auto') return LOSSES[task][0];
  if (!LOSSES[task].includes(loss)) {
    throw new ConfigError(`training.loss '${loss}' does not fit model.task ${task}; use ${LOSSES[task].join(' or ')} (or auto)`);
  }
  return loss;
}

export interface TaskHead {
  task: TaskKind;
  /** Outputs of the model's last layer. */
  width: number;
  loss: TaskLossName | 'custom';
  /** The training loss (model + batch → scalar mean). */
  trainLoss: LossFn;
  /** The evaluation loss of a batch's logits (the training objective, without regularising extras). */
  evalLoss(logits: MxArray, labels: MxArray): MxArray;
  /** Logits → float32 [B, W] outputs: probabilities, cumulative probabilities or the standardised value. */
  outputs(logits: MxArray): MxArray;
  /** The metrics of host outputs (row-major [n, W]) against host labels. */
  metrics(outputs: Float32Array, labels: Int32Array | Float32Array, loss: number | undefined): EvalMetrics;
  /** Host outputs → predictions in the task's form (class ids, 0/1 per label, values in target units). */
  predictions(outputs: Float32Array): TaskPredictions;
  /** Host labels → the same form (regression: the scaling undone). */
  truth(labels: Int32Array | Float32Array): TaskPredictions['values'];
}

function forward(model: Module, batch: StepBatch): MxArray {
  return model.forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds }) as MxArray;
}

function huber(d: MxArray, delta: number): MxArray {
  const a = mx.abs(d);
  return mx.where(mx.lessEqual(a, delta), mx.multiply(mx.square(d), 0.5), mx.multiply(mx.subtract(a, 0.5 * delta), delta));
}

/** [B] class ids → [B, K − 1] float "y > k" targets. */
function cumulativeTargets(labels: MxArray, thresholds: number): MxArray {
  return mx.less(mx.arange(thresholds), mx.expandDims(labels, 1)).astype('float32');
}

/**
 * Class probabilities [n, K] from cumulative "y > k" probabilities [n, K − 1] (host side): the differences,
 * clipped at 0 and normalised to sum 1 (the unshared head does not keep the cumulative ones monotone).
 */
export function ordinalClassProbabilities(cumulative: ArrayLike<number>, numClasses: number): Float32Array {
  const t = numClasses - 1;
  const n = cumulative.length / t;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < numClasses; k++) {
      const above = k === 0 ? 1 : cumulative[i * t + k - 1];
      const next = k === t ? 0 : cumulative[i * t + k];
      out[i * numClasses + k] = Math.max(0, above - next);
    }
    let sum = 0;
    for (let k = 0; k < numClasses; k++) sum += out[i * numClasses + k];
    for (let k = 0; k < numClasses; k++) out[i * numClasses + k] = sum > 0 ? out[i * numClasses + k] / sum : 1 / numClasses;
  }
  return out;
}

/** The predicted class of each row: how many "y > k" probabilities are ≥ 0.5. */
export function ordinalClasses(cumulative: ArrayLike<number>, numClasses: number): Int32Array {
  const t = numClasses - 1;
  const n = cumulative.length / t;
  return Int32Array.from({ length: n }, (_, i) => {
    let c = 0;
    for (let k = 0; k < t; k++) if (cumulative[i * t + k] >= 0.5) c++;
    return c;
  });
}

/** The head of `targets`' task under `config` (a custom loss replaces the configured one). */
export function taskHead(config: TrainingConfig, targets: Targets, customLoss?: CustomLoss): TaskHead {
  const t = config.training;
  const task = targets.task;
  const loss = resolveLoss(task, t.loss);
  if (t.classWeights && task !== 'classification') throw new ConfigError(`training.classWeights applies to model.task classification only, not ${task}`);
  const K = targets.encoder.numClasses;
  let head: Omit<TaskHead, 'trainLoss' | 'loss' | 'predictions'> & { builtinLoss: LossFn; values(outputs: Float32Array): TaskPredictions['values'] };
  const same = (labels: Int32Array | Float32Array) => labels;
  switch (task) {
    case 'classification':
      head = {
        task,
        width: K,
        builtinLoss: classificationLoss({ ...t, loss: loss as 'cross_entropy' | 'focal' }),
        evalLoss: meanCrossEntropy,
        outputs: (logits) => mx.softmax(logits.astype('float32'), -1),
        metrics: (outputs, labels, l) => classificationMetrics({ labels, probabilities: outputs, numClasses: K, loss: l }),
        values: (outputs) => argmaxRows(outputs, K),
        truth: same,
      };
      break;
    case 'multilabel': {
      const evalLoss = (logits: MxArray, labels: MxArray) => binaryCrossEntropy(logits.astype('float32'), labels, { withLogits: true, reduction: 'mean' });
      head = {
        task,
        width: K,
        builtinLoss: (model, batch) => evalLoss(forward(model, batch), batch.labels),
        evalLoss,
        outputs: (logits) => mx.sigmoid(logits.astype('float32')),
        metrics: (outputs, labels, l) => multilabelMetrics(outputs, labels, K, { loss: l }),
        values: (outputs) => Float32Array.from(outputs, (p) => (p >= 0.5 ? 1 : 0)),
        truth: same,
      };
      break;
    }
    case 'regression': {
      const scaling = targets.scaling ?? { mean: 0, std: 1 };
      const value = (logits: MxArray) => mx.reshape(logits.astype('float32'), [-1]);
      const evalLoss = (logits: MxArray, labels: MxArray) => (loss === 'huber' ? mx.mean(huber(mx.subtract(value(logits), labels), t.huberDelta)) : mseLoss(value(logits), labels));
      const unscale = (v: ArrayLike<number>) => Float64Array.from(v as ArrayLike<number>, (x) => x * scaling.std + scaling.mean);
      head = {
        task,
        width: 1,
        builtinLoss: (model, batch) => evalLoss(forward(model, batch), batch.labels),
        evalLoss,
        outputs: (logits) => logits.astype('float32'),
        metrics: (outputs, labels, l) => regressionMetrics(unscale(outputs), unscale(labels), l),
        values: unscale,
        truth: unscale,
      };
      break;
    }
    case 'ordinal': {
      const evalLoss = (logits: MxArray, labels: MxArray) =>
        mx.mean(mx.sum(binaryCrossEntropy(logits.astype('float32'), cumulativeTargets(labels, K - 1), { withLogits: true, reduction: 'none' }), -1));
      head = {
        task,
        width: K - 1,
        builtinLoss: (model, batch) => evalLoss(forward(model, batch), batch.labels),
        evalLoss,
        outputs: (logits) => mx.sigmoid(logits.astype('float32')),
        metrics: (outputs, labels, l) => ordinalMetrics(labels, ordinalClasses(outputs, K), K, l),
        values: (outputs) => ordinalClasses(outputs, K),
        truth: same,
      };
      break;
    }
  }
  const { builtinLoss, values, ...rest } = head;
  const width = head.width;
  const predictions = (outputs: Float32Array): TaskPredictions => ({ task, values: values(outputs), outputs, width });
  const trainLoss: LossFn = customLoss ? (model, batch) => customLoss(forward(model, batch), batch) : builtinLoss;
  // What a batch's labels look like to this task (the batch-size finder builds a probe batch with them).
  if (task === 'multilabel') trainLoss.probeLabels = (size) => mx.zeros([size, K], 'float32');
  if (task === 'regression') trainLoss.probeLabels = (size) => mx.zeros([size], 'float32');
  return { ...rest, predictions, loss: customLoss ? 'custom' : loss, trainLoss };
}
