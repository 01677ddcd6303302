/**
 * What a model predicts, read from the label column(s): the task (classification, multilabel,
 * regression, ordinal), why that task, and the per-row targets the batches carry.
 *
 * The inference rule for `task: auto` (one place, printed by `mlx-train config`):
 * 1. `labelColumns` (several 0/1 columns) or `labelDelimiter` (labels joined in one cell) → multilabel.
 * 2. A label that is not a number in some row → classification.
 * 3. Numbers with a fraction in some row → regression.
 * 4. Integers with at most 2 distinct values → classification (binary).
 * 5. Integers with more than MAX_AUTO_CLASSES (20) distinct values → regression (counts, scores, prices).
 * 6. 3..20 distinct integers are ambiguous (classes? ordered ratings? counts?): classification, with a
 *    warning that says so and names `model.task: ordinal | regression`; set model.task to silence it.
 * Ordinal is never inferred: order is a claim about the data only the user can make.
 */
import type { CsvTable } from './csv.js';
import { isMissing } from './columns.js';
import { ConfigError, formatDataLocation } from '../errors.js';
import { DataError } from './errors.js';
import { LabelEncoder } from './labels.js';
import { nearestName } from './nearest.js';

export type TaskKind = 'classification' | 'multilabel' | 'regression' | 'ordinal';
export const TASK_KINDS: readonly TaskKind[] = ['classification', 'multilabel', 'regression', 'ordinal'];
export const MAX_AUTO_CLASSES = 20;

export interface TargetOptions {
  task: TaskKind | 'auto';
  /** The one label column (unused with labelColumns). */
  labelColumn: string;
  labelColumns: readonly string[] | null;
  labelDelimiter: string | null;
  targetScaling: 'standardize' | 'none';
  missingValues: readonly string[];
  /** A saved class / label order (prediction with a trained model), instead of the sorted distinct values. */
  classes?: readonly string[] | null;
}

export interface TargetScaling {
  mean: number;
  std: number;
}

export interface TaskChoice {
  task: TaskKind;
  /** Why this task, in words (configured, or which rule of the inference picked it). */
  reason: string;
  /** Set when the choice is a guess the user should confirm. */
  warning?: string;
}

export interface Targets extends TaskChoice {
  /** The label column(s) the targets come from (never rendered into the text). */
  columns: string[];
  /** Class values (classification, ordinal, in order), label names (multilabel) or the target column (regression). */
  encoder: LabelEncoder;
  /** Class id per row (classification, ordinal); zeros for the others, so splits are not stratified there. */
  ids: Int32Array;
  /** What a batch carries per row: class ids, or `width` float values (0/1 per label; the scaled target). */
  values: Int32Array | Float32Array;
  width: number;
  /** Regression: the standardisation applied to `values` (mean 0, std 1 when targetScaling is none). */
  scaling?: TargetScaling;
  /** Multi-label from one column: the delimiter (predictions are written joined by it). */
  delimiter?: string;
}

const isNumber = (v: string) => v !== '' && Number.isFinite(Number(v));

/** The task for `values` of one label column (rules 2–6 above), or the configured one with its reason. */
export function chooseTask(options: Pick<TargetOptions, 'task' | 'labelColumns' | 'labelDelimiter'>, column: string, values: readonly string[]): TaskChoice {
  const multi = options.labelColumns ? `data.labelColumns lists ${options.labelColumns.length} 0/1 columns` : options.labelDelimiter ? `data.labelDelimiter is '${options.labelDelimiter}'` : null;
  if (options.task !== 'auto') {
    if (multi && options.task !== 'multilabel') throw new ConfigError(formatDataLocation({ key: 'model.task' }) + `model.task is ${options.task} but ${multi}, which only a multilabel task reads; set model.task: multilabel (or auto), or unset it`);
    if (!multi && options.task === 'multilabel') throw new ConfigError(formatDataLocation({ key: 'model.task' }) + "model.task is multilabel but neither data.labelDelimiter nor data.labelColumns says where the labels are; set one (e.g. data.labelDelimiter: '|')");
    return { task: options.task, reason: 'set by model.task' };
  }
  if (multi) return { task: 'multilabel', reason: `inferred: ${multi}` };
  const distinct = [...new Set(values)];
  const text = distinct.find((v) => !isNumber(v));
  if (text !== undefined) return { task: 'classification', reason: `inferred: label column '${column}' holds non-numeric values (e.g. ${JSON.stringify(text)}), ${distinct.length} distinct` };
  const fraction = distinct.find((v) => !Number.isInteger(Number(v)));
  if (fraction !== undefined) return { task: 'regression', reason: `inferred: label column '${column}' holds numbers with fractions (e.g. ${fraction}), ${distinct.length} distinct` };
  const nums = distinct.map(Number);
  const range = `${Math.min(...nums)}..${Math.max(...nums)}`;
  if (distinct.length <= 2) return { task: 'classification', reason: `inferred: label column '${column}' holds ${distinct.length} distinct integers (${range}): binary classification` };
  if (distinct.length > MAX_AUTO_CLASSES) return { task: 'regression', reason: `inferred: label column '${column}' holds ${distinct.length} distinct integers (${range}), more than ${MAX_AUTO_CLASSES}: a numeric target` };
  return {
    task: 'classification',
    reason: `inferred: label column '${column}' holds ${distinct.length} distinct integers (${range}), treated as ${distinct.length} unordered classes`,
    warning: `label column '${column}' has ${distinct.length} distinct integer values (${range}): training ${distinct.length} unordered classes. If they are ordered ratings set model.task: ordinal, if a quantity model.task: regression; set model.task: classification to silence this`,
  };
}

function requireLabelColumn(table: CsvTable, name: string, key: string): number {
  const c = table.columns.indexOf(name);
  if (c < 0) {
    const hint = nearestName(name, table.columns);
    throw new DataError(`the label column '${name}' is not in the header${hint ? ` (did you mean '${hint}'?)` : ''}; columns: ${table.columns.join(', ')}`, { file: table.file, line: 1, key });
  }
  return c;
}

/** The trimmed cells of column `c`; a missing one is an error naming file, line and column. */
function presentCells(table: CsvTable, c: number, missingValues: readonly string[]): string[] {
  const column = table.columns[c];
  return table.rows.map((r, i) => {
    const v = r[c];
    if (isMissing(v, missingValues)) throw new DataError('missing label', { file: table.file, line: table.lines[i], column });
    return v.trim();
  });
}

/** The task a config gives `table` (no targets built): what `mlx-train config` prints. */
export function taskOf(table: CsvTable, options: Omit<TargetOptions, 'targetScaling' | 'classes'>): TaskChoice {
  if (options.labelColumns) return chooseTask(options, options.labelColumns.join(', '), []);
  const c = requireLabelColumn(table, options.labelColumn, 'labelColumn');
  return chooseTask(options, options.labelColumn, presentCells(table, c, options.missingValues));
}

/** Reads the targets of every row of `table`. */
export function readTargets(table: CsvTable, options: TargetOptions): Targets {
  const n = table.rows.length;
  if (options.labelColumns) {
    const choice = chooseTask(options, options.labelColumns.join(', '), []);
    return { ...choice, ...multiHotColumns(table, options.labelColumns, options, n) };
  }
  const c = requireLabelColumn(table, options.labelColumn, 'labelColumn');
  // Multi-label: an empty (missing) cell is a row with no label, not a missing one.
  const cells = options.labelDelimiter ? table.rows.map((r) => (isMissing(r[c], options.missingValues) ? '' : r[c].trim())) : presentCells(table, c, options.missingValues);
  const choice = chooseTask(options, options.labelColumn, cells);
  const where = (i: number) => ({ file: table.file, line: table.lines[i] });
  const columns = [options.labelColumn];
  if (choice.task === 'multilabel') {
    const delimiter = options.labelDelimiter as string;
    const sets = cells.map((v) => v.split(delimiter).map((s) => s.trim()).filter((s) => s !== ''));
    const encoder = options.classes ? new LabelEncoder(options.labelColumn, options.classes) : LabelEncoder.fit(options.labelColumn, sets.flat());
    const values = new Float32Array(n * encoder.numClasses);
    sets.forEach((labels, i) => {
      for (const l of labels) values[i * encoder.numClasses + encoder.encode(l, where(i))] = 1;
    });
    return { ...choice, columns, encoder, ids: new Int32Array(n), values, width: encoder.numClasses, delimiter };
  }
  if (choice.task === 'regression') {
    const raw = cells.map((v, i) => {
      if (!isNumber(v)) throw new DataError(`a regression target must be a number but is ${JSON.stringify(v)}`, { ...where(i), column: options.labelColumn });
      return Number(v);
    });
    // Raw values: scaleTargets standardises them once the training rows are known.
    return { ...choice, columns, encoder: new LabelEncoder(options.labelColumn, [options.labelColumn], 1), ids: new Int32Array(n), values: Float32Array.from(raw), width: 1 };
  }
  // Classification and ordinal: class ids. Ordinal classes must be numbers or given in order.
  const encoder = options.classes ? new LabelEncoder(options.labelColumn, options.classes) : LabelEncoder.fit(options.labelColumn, cells);
  if (choice.task === 'ordinal' && !options.classes && !encoder.classes.every(isNumber)) {
    throw new DataError(`an ordinal label column must hold numbers (their order is the class order) but holds ${JSON.stringify(encoder.classes.find((v) => !isNumber(v)))}; map the levels to 1, 2, 3, …`, { file: table.file, column: options.labelColumn, key: 'model.task' });
  }
  const ids = Int32Array.from(cells, (v, i) => encoder.encode(v, where(i)));
  return { ...choice, columns, encoder, ids, values: ids, width: 1 };
}

function multiHotColumns(table: CsvTable, names: readonly string[], options: TargetOptions, n: number): Omit<Targets, keyof TaskChoice> {
  if (names.length < 2) throw new ConfigError(formatDataLocation({ key: 'labelColumns' }) + `data.labelColumns needs at least 2 columns (one 0/1 column is a binary labelColumn) but lists ${names.length}`);
  const indices = names.map((name) => requireLabelColumn(table, name, 'labelColumns'));
  const values = new Float32Array(n * names.length);
  indices.forEach((c, j) => {
    presentCells(table, c, options.missingValues).forEach((v, i) => {
      if (v !== '0' && v !== '1') throw new DataError(`a data.labelColumns cell must be 0 or 1 but is ${JSON.stringify(v)}`, { file: table.file, line: table.lines[i], column: names[j] });
      values[i * names.length + j] = v === '1' ? 1 : 0;
    });
  });
  return { columns: [...names], encoder: new LabelEncoder(names.join('|'), names), ids: new Int32Array(n), values, width: names.length };
}

/**
 * Regression: standardises `targets.values` in place with the mean and std of the training rows (or a
 * saved scaling, or none), so validation rows never leak into the scaling; sets `targets.scaling`.
 */
export function scaleTargets(targets: Targets, trainRows: readonly number[], mode: 'standardize' | 'none', saved?: TargetScaling | null): void {
  if (targets.task !== 'regression') return;
  const v = targets.values as Float32Array;
  const scaling = saved ?? (mode === 'standardize' ? standardization(trainRows.map((i) => v[i])) : { mean: 0, std: 1 });
  for (let i = 0; i < v.length; i++) v[i] = (v[i] - scaling.mean) / scaling.std;
  targets.scaling = scaling;
}

/** Mean and population std of the training targets (std 1 when they are all equal, so nothing divides by 0). */
export function standardization(values: readonly number[]): TargetScaling {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
  const std = Math.sqrt(variance);
  return { mean, std: std > 0 ? std : 1 };
}
