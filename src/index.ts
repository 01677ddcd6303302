/**
 * mlx-train: train transformer classifiers with MLX from Node, tracked in an MLflow-compatible store.
 * The public API, one page: docs/api.md; test/api-snapshot.test.ts lists every runtime name.
 */
export * as mx from './core/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as tokenizers from './tokenizers/index.js';
export * as models from './models/index.js';
export {
  MlxTrainError, UsageError, ConfigError, DataError, TokenizerError, CheckpointError, TrainingError, StoreError, RestError, MigrateError, MlxError,
  ShapeError, DtypeError, NativeLoadError, DistributedError, UiError, ERROR_CODES, type ErrorCode, type ErrorKind, type DataErrorLocation,
} from './errors.js';
export * as tracking from './tracking/index.js';
export { TrackingStore, openStore, type TrackingClient } from './tracking/index.js';
export * as config from './config/index.js';
export * as distributed from './distributed/index.js';
export { resolveConfig, loadPreset } from './config/index.js';
export { Trainer } from './trainer/index.js';
export * as trainer from './trainer/index.js';
export { sweep } from './sweep/index.js';
