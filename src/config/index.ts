/** mlx-train/config: the TrainingConfig schema, presets and the layered loader. */
export * from './schema.js';
export * from './load.js';
