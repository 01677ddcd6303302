/** Data pipeline: CSV → text → tokens → seeded, bucketed, prefetched MLX batches. */
export { prepareData, predictionLoader, resolveDataOptions, TITANIC_TRAIN_PATH, type DataOptions, type PreparedData, type EncodedTable, type ResolvedDataOptions } from './dataset.js';
export { AUTO_TEMPLATE, EMBEDDED_DATASETS, embeddedDatasetAt, resolveTemplate, TITANIC, type EmbeddedDataset } from './embedded.js';
export { readCsvFile, parseCsv, decodeCsvBytes, type CsvTable, type CsvOptions } from './csv.js';
export { inferColumnTypes, isMissing, DEFAULT_MISSING_VALUES, type ColumnInfo, type ColumnType } from './columns.js';
export { compileTemplate, defaultTemplate, type CompiledTemplate, type Row, type TemplateOptions } from './template.js';
export { LabelEncoder, type LabelMapJson } from './labels.js';
export { trainValidationSplit, kFold, type Split } from './split.js';
export { SeededRandom } from './seeded-random.js';
export { encodeExamples, exampleLength, type EncodedExamples } from './encoded.js';
export { cacheKey, readTokenCache, writeTokenCache } from './token-cache.js';
export { planBatches, paddedLength, DEFAULT_BATCHING, type BatchingOptions } from './batching.js';
export { collate, toMxBatch, type Batch, type HostBatch, type CollateOptions } from './collate.js';
export { prefetch } from './prefetch.js';
export { DataLoader, type DataLoaderOptions } from './loader.js';
export { DataError, type DataErrorLocation } from './errors.js';
export type { TaskChoice, TaskKind, Targets, TargetScaling } from './targets.js';
