/**
 * The model behind `serve`: request rows → the model's input columns → micro-batched calls of the
 * trainer's one prediction function (predictFile on rows in memory) → its records. Label decoding and the
 * output form belong to src/trainer/predict.ts; this file only routes rows there and back.
 */
import type { CsvTable } from '../data/csv.js';
import { ServeError } from '../errors.js';
import { type EnsembleMember, type PredictionRecord, predictFile, predictionRecords } from '../trainer/predict.js';
import type { TaskHead } from '../trainer/tasks/heads.js';
import { predictTask, type TaskRecord, taskRecords } from '../trainer/tasks/predict.js';
import { type BatcherOptions, type BatcherStats, MicroBatcher } from './batcher.js';
import type { RequestRows } from './parse.js';

export interface Predictor {
  /** The columns a request must carry (others are ignored). */
  readonly inputColumns: readonly string[];
  /** The one input column when the model reads exactly one (then `inputs: ["text", …]` works), else null. */
  readonly singleColumn: string | null;
  predict(rows: RequestRows): Promise<ServeRecord[]>;
  readonly stats: BatcherStats;
  close(): void;
}

/** A prediction in the model's task form (classification's label + probabilities, or tasks/predict.ts's). */
export type ServeRecord = PredictionRecord | TaskRecord;

/** One row of a request in the model's input-column order ('' for a missing cell, as an empty CSV field). */
type InputRow = string[];

function toInputRows(request: RequestRows, inputColumns: readonly string[]): InputRow[] {
  if (request.rows.length === 0) return [];
  const positions = inputColumns.map((c) => request.columns.indexOf(c));
  const missing = inputColumns.filter((_, j) => positions[j] < 0);
  if (missing.length) {
    throw new ServeError(
      `missing input column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `'${c}'`).join(', ')}: the model reads ${inputColumns.join(', ')}; the request has ${request.columns.length ? request.columns.join(', ') : 'no columns'}`,
    );
  }
  return request.rows.map((row) => positions.map((p) => row[p] ?? ''));
}

/** `head`: the model's task head; a task other than classification answers in its own form. */
export function createPredictor(member: EnsembleMember, batching: BatcherOptions, head?: TaskHead): Predictor {
  const inputColumns = member.data.inputColumns;
  const run = async (rows: InputRow[]): Promise<ServeRecord[]> => {
    const table: CsvTable = { file: 'the request', columns: [...inputColumns], rows, lines: rows.map((_, i) => i + 1) };
    // One loader batch per micro-batch: batchSize is the micro-batch limit.
    const options = { batching: { batchSize: Math.max(batching.maxBatchRows, 1) } };
    if (head && head.task !== 'classification') return taskRecords(head.task, await predictTask([{ member, head }], table, options), member.data.labels.classes);
    return predictionRecords(await predictFile(member, table, options));
  };
  const batcher = new MicroBatcher(run, batching);
  return {
    inputColumns,
    singleColumn: inputColumns.length === 1 ? inputColumns[0] : null,
    predict: (rows) => batcher.submit(toInputRows(rows, inputColumns)),
    stats: batcher.stats,
    close: () => batcher.close(),
  };
}
