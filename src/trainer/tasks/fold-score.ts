/**
 * A fold of a k-fold run, scored in a form that pools across folds. Each fold has its own target scaling
 * (regression standardises with the fold's training rows), so a fold's outputs are turned into the
 * task's own units before pooling: regression → the predicted value in target units; multilabel → the
 * per-label probabilities; ordinal → the cumulative "y > k" probabilities; classification → the class
 * probabilities. The pooled metrics are then the task's metrics of the pooled predictions, exactly what
 * scikit-learn gives on the same out-of-fold file.
 */
import type { PreparedData } from '../../data/dataset.js';
import type { TaskKind } from '../../data/targets.js';
import { type ClassifierModule, type EvalLossFn, evaluateDetailed, meanCrossEntropy } from '../evaluate.js';
import { argmaxRows, classificationMetrics } from '../metrics.js';
import type { EvalMetrics } from '../types.js';
import { evaluateTask } from './evaluate.js';
import type { TaskHead } from './heads.js';
import { ordinalClasses } from './heads.js';
import type { CustomMetrics } from './hooks.js';
import { multilabelMetrics, ordinalMetrics, regressionMetrics } from './metrics.js';

export interface FoldScore {
  task: TaskKind;
  /** Classes (classification, ordinal) or labels (multilabel); 1 for regression. */
  numClasses: number;
  metrics: EvalMetrics;
  /** Training-CSV rows in output order. */
  rows: number[];
  /** Row-major [rows, width] outputs in pooled form (see the file comment). */
  outputs: Float64Array;
  width: number;
  /** Row-major [rows, truthWidth] truth: class ids, 0/1 per label, or the target in its units. */
  truth: Float64Array;
  truthWidth: number;
}

/** How a fold model is scored: classification (with its loss) or a task head built for the fold's data. */
export interface FoldScoring {
  /** The fold's head (non-classification tasks); built per fold because the scaling is per fold. */
  head?: (data: PreparedData) => TaskHead;
  lossFn?: EvalLossFn;
  metrics?: CustomMetrics;
}

/** Scores `model` on the validation split of `data`. */
export async function scoreFold(model: ClassifierModule, data: PreparedData, scoring: FoldScoring = {}): Promise<FoldScore> {
  const task = data.targets.task;
  const numClasses = data.labels.numClasses;
  if (task === 'classification' || !scoring.head) {
    const e = await evaluateDetailed(model, data.validationLoader(), scoring.lossFn ?? meanCrossEntropy);
    return { task: 'classification', numClasses, metrics: e.metrics, rows: e.rows ?? data.split.validation, outputs: Float64Array.from(e.probabilities), width: numClasses, truth: Float64Array.from(e.labels), truthWidth: 1 };
  }
  const head = scoring.head(data);
  const e = await evaluateTask(model, data.validationLoader(), head, scoring.metrics);
  const rows = e.rows ?? data.split.validation;
  if (task === 'regression') {
    return { task, numClasses: 1, metrics: e.metrics, rows, outputs: Float64Array.from(head.predictions(e.probabilities).values), width: 1, truth: Float64Array.from(head.truth(e.labels)), truthWidth: 1 };
  }
  return { task, numClasses, metrics: e.metrics, rows, outputs: Float64Array.from(e.probabilities), width: head.width, truth: Float64Array.from(e.labels), truthWidth: task === 'multilabel' ? numClasses : 1 };
}

/** The task's predictions of pooled outputs: class ids, 0/1 per label, or the values themselves. */
export function pooledPredictions(task: TaskKind, outputs: Float64Array, numClasses: number): Int32Array | Float64Array {
  switch (task) {
    case 'classification':
      return argmaxRows(outputs, numClasses);
    case 'multilabel':
      return Float64Array.from(outputs, (p) => (p >= 0.5 ? 1 : 0));
    case 'ordinal':
      return ordinalClasses(outputs, numClasses);
    default:
      return outputs;
  }
}

/**
 * The task's metrics over pooled out-of-fold outputs. Classification's loss is the log loss of the
 * pooled probabilities; the other tasks' loss is `loss` (the row-weighted mean of the fold losses, each
 * on its fold's own scale).
 */
export function pooledMetrics(task: TaskKind, numClasses: number, outputs: Float64Array, truth: Float64Array, loss: number): EvalMetrics {
  switch (task) {
    case 'classification':
      return classificationMetrics({ labels: truth, probabilities: outputs, numClasses });
    case 'regression':
      return regressionMetrics(outputs, truth, loss);
    case 'multilabel':
      return multilabelMetrics(outputs, truth, numClasses, { loss });
    case 'ordinal':
      return ordinalMetrics(truth, ordinalClasses(outputs, numClasses), numClasses, loss);
  }
}
