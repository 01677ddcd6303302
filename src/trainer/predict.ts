/**
 * Predictions for an unlabelled CSV (e.g. Kaggle's test.csv) and the submission file: one row per input
 * row, `<idColumn>,<labelColumn>` with the original label values (Titanic: `PassengerId,Survived`).
 * Several models (the folds of a cross-validation) form an ensemble by averaging their probabilities;
 * each member encodes the file with its own data pipeline, since folds may train their own vocabularies.
 */
import { renameSync, writeFileSync } from 'node:fs';
import type * as mx from '../core/index.js';
import type { BatchingOptions } from '../data/batching.js';
import type { CsvTable } from '../data/csv.js';
import { type EncodedTable, type PreparedData, predictionLoader } from '../data/dataset.js';
import type { DataLoader } from '../data/loader.js';
import { type ClassifierModule, type EvalSource, forEachBatchOutput } from './evaluate.js';
import { argmaxRows } from './metrics.js';

/** A trained model with the data pipeline (tokenizer, text rules, label classes) it was trained with. */
export interface EnsembleMember {
  model: ClassifierModule;
  data: PreparedData;
}

/**
 * Class probabilities of every example a loader yields, as a row-major [rowCount, K] matrix placed by
 * each batch's example indices (so bucketed or shuffled loaders still land in file order).
 */
export async function predictProbabilities(
  model: ClassifierModule,
  source: DataLoader | EvalSource,
  rowCount: number,
  /** What the logits become (default softmax; task heads pass their own, tasks/heads.ts). */
  outputs?: (logits: mx.Array) => mx.Array,
): Promise<{ probabilities: Float32Array; numClasses: number }> {
  let probabilities: Float32Array | null = null;
  let numClasses = 0;
  const seen = new Uint8Array(rowCount);
  let next = 0;
  await forEachBatchOutput(model, source, (out) => {
    numClasses ||= out.numClasses;
    probabilities ??= new Float32Array(rowCount * numClasses);
    const size = out.probabilities.length / numClasses;
    for (let b = 0; b < size; b++) {
      const row = out.rows ? out.rows[b] : next + b;
      if (!(row >= 0 && row < rowCount)) throw new RangeError(`predict: example index ${row} is outside 0..${rowCount - 1}`);
      seen[row] = 1;
      probabilities.set(out.probabilities.subarray(b * numClasses, (b + 1) * numClasses), row * numClasses);
    }
    next += size;
  }, undefined, outputs);
  if (!probabilities) throw new RangeError('predict: the loader produced no batches');
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new RangeError(`predict: no prediction for example ${missing} of ${rowCount} (the loader skipped rows; use dropLast: false)`);
  return { probabilities, numClasses };
}

export interface FilePredictions {
  file: string;
  /** Row ids from the id column, or the 0-based row number when there is none. */
  ids: string[];
  /** 1-based CSV line of each row. */
  lines: number[];
  numClasses: number;
  /** Class names in probability-column order. */
  classes: readonly string[];
  /** Row-major [rows, K]; the mean over the ensemble members. */
  probabilities: Float32Array;
  classIds: Int32Array;
  /** Predicted labels as they appear in the training CSV. */
  labels: string[];
}

function sameClasses(members: EnsembleMember[]): readonly string[] {
  const classes = members[0].data.labels.classes;
  members.forEach((m, i) => {
    const other = m.data.labels.classes;
    if (other.length !== classes.length || other.some((c, j) => c !== classes[j])) {
      throw new RangeError(`predict: ensemble member ${i} has label classes [${other.join(', ')}] but member 0 has [${classes.join(', ')}]`);
    }
  });
  return classes;
}

/**
 * Predicts every row of `testPath` (a CSV file, or rows already in memory such as a `serve` request) with
 * one model or the average of an ensemble's probabilities.
 */
export async function predictFile(members: EnsembleMember | EnsembleMember[], testPath: string | CsvTable, options: { batching?: BatchingOptions } = {}): Promise<FilePredictions> {
  const list = Array.isArray(members) ? members : [members];
  if (list.length === 0) throw new RangeError('predict: no models given');
  const classes = sameClasses(list);
  let sum: Float64Array | null = null;
  let table: EncodedTable | null = null;
  for (const member of list) {
    const encoded = typeof testPath === 'string' ? member.data.encodeFile(testPath) : member.data.encodeTable(testPath);
    table ??= encoded;
    const { probabilities, numClasses } = await predictProbabilities(member.model, predictionLoader(encoded, member.data.tokenizer, options.batching), encoded.rowCount);
    if (numClasses !== classes.length) throw new RangeError(`predict: the model outputs ${numClasses} classes but the label encoder has ${classes.length} (${classes.join(', ')})`);
    sum ??= new Float64Array(probabilities.length);
    for (let i = 0; i < probabilities.length; i++) sum[i] += probabilities[i];
  }
  const t = table as EncodedTable;
  const probabilities = Float32Array.from(sum as Float64Array, (v) => v / list.length);
  const classIds = argmaxRows(probabilities, classes.length);
  return {
    file: t.file,
    ids: t.ids.map((id, i) => id ?? String(i)),
    lines: t.lines,
    numClasses: classes.length,
    classes,
    probabilities,
    classIds,
    labels: Array.from(classIds, (c) => classes[c]),
  };
}

/** One prediction as `serve` answers it (MLflow's `predictions` records): the label and each class's probability. */
export interface PredictionRecord {
  label: string;
  probabilities: Record<string, number>;
}

/** The rows of predictFile's result in their JSON form, in input order. */
export function predictionRecords(p: Pick<FilePredictions, 'labels' | 'classes' | 'probabilities'>): PredictionRecord[] {
  const k = p.classes.length;
  return p.labels.map((label, i) => ({ label, probabilities: Object.fromEntries(p.classes.map((c, j) => [c, p.probabilities[i * k + j]])) }));
}

/** RFC 4180 quoting for a field that holds a delimiter, quote or line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Writes `<idHeader>,<labelHeader>` rows atomically (temp file + rename), so a crash leaves no half file. */
export function writeSubmission(path: string, predictions: Pick<FilePredictions, 'ids' | 'labels'>, headers: { id: string; label: string }): void {
  const lines = [`${csvField(headers.id)},${csvField(headers.label)}`, ...predictions.ids.map((id, i) => `${csvField(id)},${csvField(predictions.labels[i])}`)];
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${lines.join('\n')}\n`);
  renameSync(tmp, path);
}

export interface PredictOptions {
  /** One trained model with its data pipeline, or the members of an ensemble (e.g. the k folds). */
  members: EnsembleMember | EnsembleMember[];
  testPath: string;
  /** Submission CSV to write; omit to only return the predictions. */
  outputPath?: string;
  batching?: BatchingOptions;
}

/** Predicts `testPath` and writes the submission CSV (`PassengerId,Survived` for Titanic). */
export async function predict(options: PredictOptions): Promise<FilePredictions & { outputPath?: string }> {
  const predictions = await predictFile(options.members, options.testPath, { batching: options.batching });
  if (options.outputPath) {
    const first = Array.isArray(options.members) ? options.members[0] : options.members;
    writeSubmission(options.outputPath, predictions, { id: first.data.options.idColumn ?? 'id', label: first.data.options.labelColumn });
  }
  return { ...predictions, outputPath: options.outputPath };
}
