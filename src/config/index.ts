/**
 * mlx-train/config: the TrainingConfig schema, presets and the layered loader.
 * Public face only; the env-name mapping, leaf listing, flattening and presets folder are internal.
 */
// The schema and its sections, to validate or extend a config in code.
export {
  ModelSchema, DataSchema, EarlyStoppingSchema, QuantizationSchema, LoraSchema, TrainingSchema, TrackingSchema, TrainingConfigSchema,
  type TrainingConfig, type TrainingConfigInput,
} from './schema.js';
// Presets and the layered loader (defaults < preset < YAML < env < --set), and writing a config back out.
export { PRESETS, loadPreset, parseConfig, resolveConfig, configToYaml, type PresetName, type ResolveOptions, type FlagOverride, type ResolvedConfig } from './load.js';
