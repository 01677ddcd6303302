/**
 * Predictions of a non-classification task in the task's own form, and the CSV they are written to
 * (classification keeps ../predict.ts's submission file):
 * - regression: `<id>,<label>` with the predicted value in target units (the scaling undone);
 * - multilabel, one delimited column: `<id>,<label>,<name>_probability…` with the labels whose probability
 *   is ≥ 0.5 joined by the delimiter; from 0/1 columns: `<id>,<col>…,<col>_probability…`;
 * - ordinal: `<id>,<label>` with the predicted class, then `<class>_probability` per class.
 * A k-fold run's out-of-fold file (oof_predictions.csv) has the same form, classification included, plus
 * the truth as `true_<label column>`.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { BatchingOptions } from '../../data/batching.js';
import { predictionLoader } from '../../data/dataset.js';
import { csvField, type EnsembleMember, predictProbabilities } from '../predict.js';
import type { CsvTable } from '../../data/csv.js';
import type { PreparedData } from '../../data/dataset.js';
import type { TaskKind } from '../../data/targets.js';
import type { TaskHead } from './heads.js';
import { ordinalClassProbabilities } from './heads.js';

export interface TaskPrediction {
  id: string;
  /** The prediction as written in the CSV's label cell: the value, the joined labels or the class. */
  label: string;
  /** Class probabilities (ordinal), label probabilities (multilabel); empty for regression. */
  probabilities: number[];
  /** Regression: the predicted value. */
  value?: number;
  /** Multilabel: the predicted labels. */
  labels?: string[];
}

export interface TaskPredictionFile {
  header: string[];
  rows: string[][];
  predictions: TaskPrediction[];
}

const fmt = (v: number) => String(Number(v.toPrecision(7)));

/**
 * Predicts every row of `testPath` in the task's form, with one model or a k-fold ensemble (each member
 * with the head of its own data): the mean of the members' values in target units (regression) or of
 * their probabilities (the others).
 */
export async function predictTask(members: { member: EnsembleMember; head: TaskHead }[], testPath: string | CsvTable, options: { batching?: BatchingOptions } = {}): Promise<TaskPredictionFile> {
  if (members.length === 0) throw new RangeError('predict: no models given');
  let sum: Float64Array | null = null;
  let ids: string[] = [];
  for (const { member, head } of members) {
    const encoded = typeof testPath === 'string' ? member.data.encodeFile(testPath) : member.data.encodeTable(testPath);
    const { probabilities } = await predictProbabilities(member.model, predictionLoader(encoded, member.data.tokenizer, options.batching), encoded.rowCount, head.outputs);
    const part = head.task === 'regression' ? head.predictions(probabilities).values : probabilities;
    sum ??= new Float64Array(part.length);
    for (let i = 0; i < part.length; i++) sum[i] += part[i] / members.length;
    ids = encoded.ids.map((id, i) => id ?? String(i));
  }
  const { member, head } = members[0];
  const mean = sum as Float64Array;
  const values = head.task === 'regression' ? mean : head.predictions(Float32Array.from(mean)).values;
  return taskPredictionTable(member.data, head.task, ids, mean, values);
}

/**
 * The predictions CSV of one task: `outputs` are the head's outputs ([n, width]: class probabilities,
 * label probabilities, cumulative "y > k" probabilities; unused for regression), `values` the predictions
 * in the task's form (class ids, 0/1 per label, values in target units).
 */
export function taskPredictionTable(data: PreparedData, task: TaskKind, ids: string[], outputs: ArrayLike<number>, values: ArrayLike<number>): TaskPredictionFile {
  const names = data.labels.classes;
  const t = data.targets;
  const idHeader = data.options.idColumn ?? 'id';
  const w = outputs.length / Math.max(ids.length, 1);
  const rowOf = (i: number) => Array.from({ length: w }, (_, j) => outputs[i * w + j]);
  const predictions: TaskPrediction[] = [];
  let header: string[];
  let rows: string[][];
  switch (task) {
    case 'regression':
      header = [idHeader, t.columns[0]];
      rows = ids.map((id, i) => {
        predictions.push({ id, label: fmt(values[i]), probabilities: [], value: values[i] });
        return [id, fmt(values[i])];
      });
      break;
    case 'multilabel': {
      const on = (i: number) => names.filter((_, j) => values[i * w + j] === 1);
      const probs = (i: number) => rowOf(i).map(fmt);
      if (t.delimiter) {
        header = [idHeader, t.columns[0], ...names.map((n) => `${n}_probability`)];
        rows = ids.map((id, i) => [id, on(i).join(t.delimiter), ...probs(i)]);
      } else {
        header = [idHeader, ...t.columns, ...t.columns.map((n) => `${n}_probability`)];
        rows = ids.map((id, i) => [id, ...names.map((_, j) => String(values[i * w + j])), ...probs(i)]);
      }
      ids.forEach((id, i) => predictions.push({ id, label: on(i).join(t.delimiter ?? '|'), labels: on(i), probabilities: rowOf(i) }));
      break;
    }
    default: {
      // classification and ordinal: the class, then each class's probability
      const K = names.length;
      const classProbs = task === 'ordinal' ? ordinalClassProbabilities(outputs, K) : Float32Array.from(outputs);
      header = [idHeader, t.columns[0], ...names.map((n) => `${n}_probability`)];
      rows = ids.map((id, i) => {
        const p = Array.from(classProbs.subarray(i * K, (i + 1) * K));
        predictions.push({ id, label: names[values[i]], probabilities: p });
        return [id, names[values[i]], ...p.map(fmt)];
      });
    }
  }
  return { header, rows, predictions };
}

export interface OutOfFoldPredictions {
  task: TaskKind;
  /** The training data (its rows, ids, label names and columns). */
  data: PreparedData;
  /** Truth, outputs and predictions per training row (kfold.ts's CrossValidationResult.outOfFold). */
  outOfFold: { labels: ArrayLike<number>; probabilities: ArrayLike<number>; predictions: ArrayLike<number> };
}

/**
 * Writes a k-fold run's out-of-fold predictions (every training row, predicted by the fold model that
 * never trained on it) in the task's form, then the truth as `true_<label column>` column(s); returns the path.
 */
export function writeOutOfFold(path: string, cv: OutOfFoldPredictions): string {
  const data = cv.data;
  const t = data.targets;
  const oof = cv.outOfFold;
  const n = data.table.rowCount;
  const ids = data.table.ids.map((id, i) => id ?? String(i));
  const file = taskPredictionTable(data, cv.task, ids, oof.probabilities, oof.predictions);
  const names = data.labels.classes;
  const truth = oof.labels;
  const tw = truth.length / n;
  const truthCells = (i: number): string[] => {
    if (cv.task === 'regression') return [fmt(truth[i])];
    if (cv.task !== 'multilabel') return [names[truth[i]]];
    const on = names.filter((_, j) => truth[i * tw + j] === 1);
    return t.delimiter ? [on.join(t.delimiter)] : names.map((_, j) => String(truth[i * tw + j]));
  };
  const truthHeader = (cv.task === 'multilabel' && !t.delimiter ? t.columns : [t.columns[0]]).map((c) => `true_${c}`);
  writeTaskPredictions(path, { header: [...file.header, ...truthHeader], rows: file.rows.map((r, i) => [...r, ...truthCells(i)]), predictions: [] });
  return path;
}

/**
 * One prediction as `serve` answers it, in the task's form: a regression's value in target units (a bare
 * number, as MLflow's scoring server answers a regressor); multilabel's labels and per-label
 * probabilities; ordinal's class and class probabilities (classification's form, ../predict.ts).
 */
export type TaskRecord = number | { labels: string[]; probabilities: Record<string, number> } | { label: string; probabilities: Record<string, number> };

export function taskRecords(task: TaskKind, file: TaskPredictionFile, names: readonly string[]): TaskRecord[] {
  const byName = (p: number[]) => Object.fromEntries(names.map((n, j) => [n, p[j]]));
  return file.predictions.map((p) => (task === 'regression' ? (p.value as number) : task === 'multilabel' ? { labels: p.labels ?? [], probabilities: byName(p.probabilities) } : { label: p.label, probabilities: byName(p.probabilities) }));
}

/** Writes the predictions CSV atomically (temp file + rename). */
export function writeTaskPredictions(path: string, file: TaskPredictionFile): void {
  const lines = [file.header, ...file.rows].map((r) => r.map(csvField).join(','));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${lines.join('\n')}\n`);
  renameSync(tmp, path);
}
