/**
 * Data pipeline: CSV → text → tokens → seeded, bucketed, prefetched MLX batches.
 * Public face only; the token cache, encoding, batching, collation and prefetch stages are internal
 * (import them from their modules inside the package).
 */
// The pipeline in one call, and the loader it returns: what a training or prediction script uses.
export { prepareData, predictionLoader, type DataOptions, type PreparedData, type EncodedTable, type ResolvedDataOptions } from './dataset.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
// The bundled datasets, so examples and tests run without a download.
export { EMBEDDED_DATASETS, embeddedDatasetAt, TITANIC, TITANIC_TRAIN_PATH, type EmbeddedDataset } from './embedded.js';
// Building blocks a user composes by hand: reading CSV, rendering rows to text, labels, splits.
export { readCsvFile, parseCsv, type CsvTable, type CsvOptions } from './csv.js';
export type { ColumnInfo, ColumnType } from './columns.js';
export { compileTemplate, defaultTemplate, type CompiledTemplate, type Row, type TemplateOptions } from './template.js';
export { LabelEncoder, type LabelMapJson } from './labels.js';
export { trainValidationSplit, kFold, type Split } from './split.js';
// Types of the shapes prepareData and DataLoader hand back.
export type { EncodedExamples } from './encoded.js';
export type { BatchingOptions } from './batching.js';
export type { Batch, HostBatch, CollateOptions } from './collate.js';
export type { TaskChoice, TaskKind, Targets, TargetScaling } from './targets.js';
// The error every data mistake raises (also at the package top level).
export { DataError, type DataErrorLocation } from './errors.js';
