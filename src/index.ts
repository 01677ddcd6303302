/** mlx-train: train transformer classifiers with MLX from Node, tracked in an MLflow-compatible store. */
export * as mx from './core/index.js';
export * from './errors.js';
