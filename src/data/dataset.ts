/**
 * From a CSV file to tokenized, split, batched data, configured by one plain options object (the config
 * layer maps YAML onto it), so a new CSV task needs no code:
 *   read CSV → type columns → encode labels → split (stratified, seeded; or k-fold) → render text
 *   (template / "name: value" / a text column as is / a pair of text columns) → tokenizer (loaded, or a
 *   WordPiece vocabulary trained on the training split) → tokenize once (disk cache) → DataLoaders.
 */
import { readFileSync } from 'node:fs';
import { loadTokenizer, Tokenizer, type TokenizerInput, trainWordPiece } from '../tokenizers/index.js';
import { type AugmentOptions, augmentedEpoch, compileExtraTemplate, concatExamples, resolveAugment, tileRows } from './augment.js';
import type { BatchingOptions } from './batching.js';
import type { SoftTargets } from './collate.js';
import { type ColumnInfo, DEFAULT_MISSING_VALUES, inferColumnTypes, isMissing } from './columns.js';
import { type CsvTable, decodeCsvBytes, parseCsv } from './csv.js';
import { type EncodedExamples, encodeExamples } from './encoded.js';
import { AUTO_COLUMN, resolveIdColumn, resolveLabelColumn, resolveTemplate, TITANIC } from './embedded.js';
import { DataError } from './errors.js';
import type { LabelEncoder } from './labels.js';
import { readTargets, scaleTargets, type TargetScaling, type Targets, type TaskKind } from './targets.js';
import { nearestName } from './nearest.js';
import { DataLoader } from './loader.js';
import { kFold, type Split, trainValidationSplit } from './split.js';
import { foldStrata } from './strata.js';
import { type CompiledTemplate, compileTemplate, defaultTemplate, type Row } from './template.js';
import { cacheKey, readTokenCache, writeTokenCache } from './token-cache.js';

export { TITANIC_TRAIN_PATH } from './embedded.js';

export interface DataOptions {
  /** Training CSV; omitted/null = the embedded Titanic set (then labelColumn/idColumn default to Survived/PassengerId). */
  trainPath?: string | null;
  /** Label column; 'auto' (the default with a trainPath): a known dataset's label column when the CSV has it. */
  labelColumn?: string;
  /** Row id column: kept for predictions, never rendered into the text; 'auto': a known dataset's id column when the CSV has it (embedded.ts). */
  idColumn?: string | null;
  /** Columns that make the text (default: all but label, id and dropColumns). */
  textColumns?: string[] | null;
  /** With exactly two textColumns and no template: encode them as a text pair (type ids 0 / 1). */
  textPair?: boolean;
  dropColumns?: string[];
  /**
   * Row → text template (syntax in template.ts); null = "name: value" pairs, or a single text column as is;
   * 'auto' = the recommended template of the dataset at trainPath when it has one (see embedded.ts), else null.
   */
  template?: string | null;
  /** More templates for training only (augment.ts): the main one above renders validation and prediction text. */
  templates?: string[] | null;
  /** Training copies per row and the chance a copy takes a template drawn from all of them (default with templates: 1 copy, probability 1). */
  augment?: AugmentOptions | null;
  missingValues?: string[];
  missingText?: string;
  delimiter?: string;
  validationSplit?: number;
  /** k-fold cross-validation when ≥ 2; `fold` picks the validation fold. */
  kFolds?: number;
  fold?: number;
  stratify?: boolean;
  seed?: number;
  /** tokenizer.json / vocab.txt / folder, a Tokenizer, or null to train WordPiece on the training texts. */
  tokenizer?: string | Tokenizer | null;
  vocabSize?: number;
  minFrequency?: number;
  lowercase?: boolean;
  maxLength?: number;
  /** Where tokenized data is cached; null disables the cache. */
  cacheDir?: string | null;
  batching?: BatchingOptions;
  prefetch?: number;
  /** Fixed class order (e.g. from a saved label map) instead of the sorted distinct labels. */
  labelClasses?: string[] | null;
  /** What the labels are (targets.ts): a task, or auto to infer it. */
  task?: TaskKind | 'auto';
  /** Multi-label: several 0/1 label columns (replaces labelColumn). */
  labelColumns?: string[] | null;
  /** Multi-label: labels joined by this delimiter in the label column. */
  labelDelimiter?: string | null;
  /** Regression: standardise the target (mean/std of the training rows) or not. */
  targetScaling?: 'standardize' | 'none';
  /** Regression: a saved scaling (a trained model's) instead of the training rows' one. */
  savedScaling?: TargetScaling | null;
}

const DEFAULTS = {
  textPair: false,
  dropColumns: [] as string[],
  template: null as string | null,
  templates: null as string[] | null,
  augment: null as AugmentOptions | null,
  missingValues: DEFAULT_MISSING_VALUES,
  missingText: 'unknown',
  delimiter: ',',
  validationSplit: 0.2,
  kFolds: 0,
  fold: 0,
  stratify: true,
  seed: 42,
  tokenizer: null as string | Tokenizer | null,
  vocabSize: 4000,
  minFrequency: 2,
  lowercase: true,
  maxLength: 128,
  cacheDir: '.mlx-train-cache' as string | null,
  batching: {} as BatchingOptions,
  prefetch: 2,
  labelClasses: null as string[] | null,
  textColumns: null as string[] | null,
  task: 'auto' as TaskKind | 'auto',
  labelColumns: null as string[] | null,
  labelDelimiter: null as string | null,
  targetScaling: 'standardize' as 'standardize' | 'none',
  savedScaling: null as TargetScaling | null,
};

const KNOWN_KEYS = ['trainPath', 'labelColumn', 'idColumn', ...Object.keys(DEFAULTS)];

/** Options with defaults filled in; `template` is resolved (never 'auto'), so it is what renders the text. */
export type ResolvedDataOptions = typeof DEFAULTS & { trainPath: string; labelColumn: string; idColumn: string | null };

export function resolveDataOptions(options: DataOptions = {}): ResolvedDataOptions {
  for (const key of Object.keys(options)) {
    if (!KNOWN_KEYS.includes(key)) {
      const hint = nearestName(key, KNOWN_KEYS);
      throw new DataError(`unknown data option${hint ? ` (did you mean '${hint}'?)` : ''}; known: ${KNOWN_KEYS.join(', ')}`, { key });
    }
  }
  const embedded = options.trainPath === undefined || options.trainPath === null;
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const trainPath = embedded ? TITANIC.trainPath : (options.trainPath as string);
  return {
    ...DEFAULTS,
    ...defined,
    trainPath,
    // A CSV of ours: its columns; another CSV: 'auto' until its header is read (resolveLabelColumn).
    labelColumn: options.labelColumn ?? (embedded ? TITANIC.labelColumn : AUTO_COLUMN),
    idColumn: options.idColumn === undefined ? (embedded ? TITANIC.idColumn : null) : options.idColumn,
    // Resolved here, once: the text, the token cache key and what is recorded all follow from this value.
    template: resolveTemplate(options.template ?? DEFAULTS.template, trainPath),
  } as ResolvedDataOptions;
}

function requireColumn(table: CsvTable, name: string, role: string, key: string): number {
  const c = table.columns.indexOf(name);
  if (c < 0) {
    const hint = nearestName(name, table.columns);
    throw new DataError(`the ${role} column '${name}' is not in the header${hint ? ` (did you mean '${hint}'?)` : ''}; columns: ${table.columns.join(', ')}`, { file: table.file, line: 1, key });
  }
  return c;
}

/** Rows as {column: value | null}, with missing values as null. */
function rowObjects(table: CsvTable, missingValues: readonly string[]): Row[] {
  return table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, isMissing(r[i], missingValues) ? null : r[i]])));
}

interface TextSource {
  describe: string;
  /** The columns render() reads. */
  columns: string[];
  render(row: Row, where: { file: string; line: number }): TokenizerInput;
}

function textSource(table: CsvTable, o: ResolvedDataOptions, labelColumns: readonly string[]): TextSource {
  for (const c of o.dropColumns) requireColumn(table, c, 'dropped', 'dropColumns');
  const excluded = new Set([...labelColumns, ...(o.idColumn ? [o.idColumn] : []), ...o.dropColumns]);
  const columns = o.textColumns ?? table.columns.filter((c) => !excluded.has(c));
  for (const c of columns) {
    requireColumn(table, c, 'text', 'textColumns');
    if (labelColumns.includes(c)) throw new DataError(`the label column '${c}' cannot be part of the text (it would leak the answer)`, { key: 'textColumns' });
  }
  if (columns.length === 0) throw new DataError('no columns left to build the text from', { file: table.file, key: 'textColumns' });
  if (o.template !== null) return templateSource(table, o, o.template);
  if (o.textPair) {
    if (columns.length !== 2) throw new DataError(`textPair needs exactly two textColumns but got ${columns.length}`, { key: 'textPair' });
    const [a, b] = columns;
    return { describe: `pair:${a}\u0000${b}`, columns: [a, b], render: (row) => [row[a] ?? '', row[b] ?? ''] as const };
  }
  if (columns.length === 1) {
    const [c] = columns;
    return { describe: `column:${c}`, columns: [c], render: (row) => row[c] ?? '' };
  }
  const t = defaultTemplate(columns);
  return { describe: t.source, columns, render: (row) => t.render(row) };
}

function templateSource(table: CsvTable, o: ResolvedDataOptions, template: string, index?: number): TextSource {
  const columns = table.columns.filter((c) => c !== o.labelColumn);
  const options = { missingText: o.missingText };
  const t: CompiledTemplate = index === undefined ? compileTemplate(template, columns, options) : compileExtraTemplate(template, index, columns, options);
  return { describe: `template:${t.source}`, columns: t.columns, render: (row) => t.render(row) };
}

/** data.templates as text sources. */
function extraSources(table: CsvTable, o: ResolvedDataOptions): TextSource[] {
  return (o.templates ?? []).map((template, i) => templateSource(table, o, template, i));
}

export interface EncodedTable {
  file: string;
  rowCount: number;
  /** 1-based CSV line of each row. */
  lines: number[];
  ids: (string | null)[];
  inputs: TokenizerInput[];
  examples: EncodedExamples;
  cache: { key: string; hit: boolean } | null;
}

export interface PreparedData {
  options: ResolvedDataOptions;
  columns: ColumnInfo[];
  /** Class values (classification, ordinal), label names (multilabel) or the target column (regression). */
  labels: LabelEncoder;
  /** Class id of each row (zeros for multilabel and regression, whose splits are not stratified). */
  labelIds: Int32Array;
  /** The task and the per-row targets batches carry (targets.ts). */
  targets: Targets;
  split: Split;
  folds: Split[] | null;
  tokenizer: Tokenizer;
  table: EncodedTable;
  /** The training-time augmentation in effect (data.templates / data.augment), or null. */
  augmentation: { templates: number; copies: number; probability: number } | null;
  /** Shuffled, bucketed batches of the training split. */
  trainLoader(overrides?: { batching?: BatchingOptions; prefetch?: number; softTargets?: SoftTargets | null }): DataLoader;
  /** Validation batches in a fixed order. */
  validationLoader(overrides?: { batching?: BatchingOptions; prefetch?: number }): DataLoader;
  /** Encodes another CSV (e.g. Kaggle's test.csv, label optional) with the same text rules and tokenizer. */
  encodeFile(path: string): EncodedTable;
  /** The columns a row's text is rendered from: all that prediction input needs. */
  inputColumns: readonly string[];
  /** encodeFile for rows already in memory (e.g. a `serve` request): only inputColumns are required; no token cache. */
  encodeTable(table: CsvTable): EncodedTable;
}

/** `fileBytes` keys the token cache; in-memory rows (null) are tokenized afresh and not cached. */
function encodeTable(table: CsvTable, o: ResolvedDataOptions, source: TextSource, tokenizer: Tokenizer, fileBytes: Uint8Array | null): EncodedTable {
  const rows = rowObjects(table, o.missingValues);
  const inputs = rows.map((row, i) => source.render(row, { file: table.file, line: table.lines[i] }));
  const idIndex = o.idColumn ? table.columns.indexOf(o.idColumn) : -1;
  const ids = table.rows.map((r) => (idIndex >= 0 ? r[idIndex] : null));
  const cacheDir = fileBytes ? o.cacheDir : null;
  const key = cacheDir ? cacheKey(['v1', fileBytes as Uint8Array, JSON.stringify(tokenizer.toJSON()), source.describe, JSON.stringify(o.missingValues), o.missingText, String(o.maxLength), o.delimiter]) : '';
  let examples = cacheDir ? readTokenCache(cacheDir, key) : null;
  const hit = examples !== null && examples.count === inputs.length;
  if (!hit) {
    examples = encodeExamples(tokenizer, inputs);
    if (cacheDir) writeTokenCache(cacheDir, key, examples);
  }
  return { file: table.file, rowCount: table.rows.length, lines: table.lines, ids, inputs, examples: examples as EncodedExamples, cache: cacheDir ? { key, hit } : null };
}

function makeTokenizer(o: ResolvedDataOptions, trainTexts: () => TokenizerInput[]): Tokenizer {
  let tokenizer: Tokenizer;
  if (o.tokenizer instanceof Tokenizer) tokenizer = o.tokenizer;
  else if (typeof o.tokenizer === 'string') tokenizer = loadTokenizer(o.tokenizer, { lowercase: o.lowercase });
  else tokenizer = trainWordPiece(trainTexts().flatMap((t) => (typeof t === 'string' ? [t] : [...t])), { vocabSize: o.vocabSize, minFrequency: o.minFrequency, lowercase: o.lowercase });
  if (!Number.isInteger(o.maxLength) || o.maxLength < 4) throw new DataError(`expected an integer ≥ 4 but received ${o.maxLength}`, { key: 'maxLength' });
  return tokenizer.enableTruncation({ maxLength: o.maxLength }).noPadding();
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DataError(`cannot read the CSV file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
}

export function prepareData(options: DataOptions = {}): PreparedData {
  const o = resolveDataOptions(options);
  const bytes = readBytes(o.trainPath);
  const table = parseCsv(decodeCsvBytes(bytes, o.trainPath), o.trainPath, { delimiter: o.delimiter });
  o.idColumn = resolveIdColumn(o.idColumn, table.columns);
  if (!o.labelColumns) {
    const label = resolveLabelColumn(o.labelColumn, table.columns);
    if (label === null) throw new DataError(`labelColumn is required: ${table.file} has none of the known label columns; set it to one of: ${table.columns.join(', ')}`, { key: 'labelColumn' });
    o.labelColumn = label;
    requireColumn(table, o.labelColumn, 'label', 'labelColumn');
  }
  if (o.idColumn) requireColumn(table, o.idColumn, 'id', 'idColumn');
  if (table.rows.length < 2) throw new DataError(`only ${table.rows.length} data row(s); at least 2 are needed to train and validate`, { file: table.file });
  const targets = readTargets(table, { ...o, classes: o.labelClasses });
  const labels = targets.encoder;
  const labelIds = targets.ids;
  const labelList = Array.from(labelIds);

  let split: Split;
  let folds: Split[] | null = null;
  if (o.kFolds >= 2) {
    folds = kFold(foldStrata(targets, o.kFolds), { k: o.kFolds, seed: o.seed, stratify: o.stratify });
    if (!Number.isInteger(o.fold) || o.fold < 0 || o.fold >= o.kFolds) throw new DataError(`expected a fold in 0..${o.kFolds - 1} but received ${o.fold}`, { key: 'fold' });
    split = folds[o.fold];
  } else {
    split = trainValidationSplit(labelList, { fraction: o.validationSplit, seed: o.seed, stratify: o.stratify });
  }

  scaleTargets(targets, split.train, o.targetScaling, o.savedScaling);
  const source = textSource(table, o, targets.columns);
  const sources = [source, ...extraSources(table, o)];
  const augment = resolveAugment(o.augment, sources.length);
  const rows = rowObjects(table, o.missingValues);
  // A vocabulary trained here learns the words of every template the training rows are rendered with.
  const tokenizer = makeTokenizer(o, () => split.train.flatMap((i) => sources.map((s) => s.render(rows[i], { file: table.file, line: table.lines[i] }))));
  const encoded = encodeTable(table, o, source, tokenizer, bytes);
  const padId = tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0;
  // Training examples: every template's encoding, variant-major (augment.ts); validation reads variant 0 only.
  const n = table.rows.length;
  const trainExamples = augment ? concatExamples([encoded.examples, ...sources.slice(1).map((s) => encodeTable(table, o, s, tokenizer, bytes).examples)]) : encoded.examples;
  const trainLabels = tileRows(targets.values, sources.length);
  const epochIndices = augment ? (epoch: number) => augmentedEpoch(split.train, n, sources.length, augment, o.seed, epoch) : undefined;

  return {
    options: o,
    columns: inferColumnTypes(table, o.missingValues),
    labels,
    labelIds,
    targets,
    split,
    folds,
    tokenizer,
    table: encoded,
    augmentation: augment ? { templates: sources.length, ...augment } : null,
    trainLoader: (over = {}) =>
      new DataLoader(trainExamples, epochIndices?.(0) ?? split.train, trainLabels, {
        labelWidth: targets.width,
        padId,
        seed: o.seed,
        prefetch: over.prefetch ?? o.prefetch,
        batching: { ...o.batching, ...over.batching },
        indicesForEpoch: epochIndices,
        softTargets: over.softTargets ? { values: tileRows(over.softTargets.values, sources.length), width: over.softTargets.width } : null,
      }),
    validationLoader: (over = {}) =>
      new DataLoader(encoded.examples, split.validation, targets.values, { labelWidth: targets.width, padId, seed: o.seed, prefetch: over.prefetch ?? o.prefetch, batching: { ...o.batching, shuffle: false, dropLast: false, ...over.batching } }),
    encodeFile(path: string): EncodedTable {
      const otherBytes = readBytes(path);
      const other = parseCsv(decodeCsvBytes(otherBytes, path), path, { delimiter: o.delimiter });
      for (const c of table.columns) if (!targets.columns.includes(c)) requireColumn(other, c, 'feature', 'textColumns');
      return encodeTable(other, o, source, tokenizer, otherBytes);
    },
    inputColumns: source.columns,
    encodeTable(other: CsvTable): EncodedTable {
      for (const c of source.columns) requireColumn(other, c, 'feature', 'textColumns');
      return encodeTable(other, o, source, tokenizer, null);
    },
  };
}

/** A DataLoader over an encoded file without labels (for prediction), in file order. */
export function predictionLoader(encoded: EncodedTable, tokenizer: Tokenizer, batching: BatchingOptions = {}): DataLoader {
  const padId = tokenizer.tokenToId('[PAD]') ?? tokenizer.tokenToId('<pad>') ?? 0;
  const indices = Array.from({ length: encoded.rowCount }, (_, i) => i);
  return new DataLoader(encoded.examples, indices, null, { padId, prefetch: 2, batching: { ...batching, shuffle: false, bucketByLength: false, dropLast: false } });
}

