/**
 * Predictions of a non-classification task in the task's own form, and the CSV they are written to
 * (classification keeps ../predict.ts's submission file):
 * - regression: `<id>,<label>` with the predicted value in target units (the scaling undone);
 * - multilabel, one delimited column: `<id>,<label>,<name>_probability…` with the labels whose probability
 *   is ≥ 0.5 joined by the delimiter; from 0/1 columns: `<id>,<col>…,<col>_probability…`;
 * - ordinal: `<id>,<label>` with the predicted class, then `<class>_probability` per class.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { BatchingOptions } from '../../data/batching.js';
import { predictionLoader } from '../../data/dataset.js';
import { csvField, type EnsembleMember, predictProbabilities } from '../predict.js';
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

/** Predicts every row of `testPath` with one model and its data pipeline, in the task's form. */
export async function predictTask(member: EnsembleMember, head: TaskHead, testPath: string, options: { batching?: BatchingOptions } = {}): Promise<TaskPredictionFile> {
  const data = member.data;
  const encoded = data.encodeFile(testPath);
  const { probabilities } = await predictProbabilities(member.model, predictionLoader(encoded, data.tokenizer, options.batching), encoded.rowCount, head.outputs);
  const ids = encoded.ids.map((id, i) => id ?? String(i));
  const names = data.labels.classes;
  const t = data.targets;
  const idHeader = data.options.idColumn ?? 'id';
  const values = head.predictions(probabilities).values;
  const w = head.width;
  const rowOf = (i: number) => Array.from(probabilities.subarray(i * w, (i + 1) * w));
  const predictions: TaskPrediction[] = [];
  let header: string[];
  let rows: string[][];
  switch (head.task) {
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
      // ordinal (classification goes through ../predict.ts)
      const K = names.length;
      const classProbs = ordinalClassProbabilities(probabilities, K);
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

/** Writes the predictions CSV atomically (temp file + rename). */
export function writeTaskPredictions(path: string, file: TaskPredictionFile): void {
  const lines = [file.header, ...file.rows].map((r) => r.map(csvField).join(','));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${lines.join('\n')}\n`);
  renameSync(tmp, path);
}
