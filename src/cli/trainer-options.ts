/** The config flags shared by train, eval and predict, turned into Trainer resolve options. */
import type { FlagOverride } from '../config/load.js';
import type { Trainer, TrainerOptions } from '../trainer/index.js';

/**
 * The dedicated flags as typed overrides: their values are taken as typed (`-e 2024` is the name
 * '2024', not a number), and a bad one is reported under the flag the user gave.
 */
export function flagOverrides(opts: Record<string, unknown>): FlagOverride[] {
  const flags: FlagOverride[] = [];
  if (typeof opts.experiment === 'string') flags.push({ path: 'tracking.experimentName', value: opts.experiment, flag: `-e/--experiment ${opts.experiment}` });
  if (typeof opts.outputDir === 'string') flags.push({ path: 'outputDir', value: opts.outputDir, flag: `--output-dir ${opts.outputDir}` });
  if (opts.track === false) flags.push({ path: 'tracking.enabled', value: false, flag: '--no-track' });
  if (typeof opts.batchSize === 'string') {
    // training.batchSize is a count or 'auto'; anything else is left for the schema to name.
    const value = /^\d+$/.test(opts.batchSize) ? Number(opts.batchSize) : opts.batchSize;
    flags.push({ path: 'training.batchSize', value, flag: `--batch-size ${opts.batchSize}` });
  }
  return flags;
}

export function trainerOptions(opts: Record<string, unknown>, log: (m: string) => void): TrainerOptions {
  const set = [...((opts.set as string[] | undefined) ?? [])];
  const flags = flagOverrides(opts);
  let preset = opts.preset as string | undefined;
  if (!preset && !opts.config) {
    preset = 'quick';
    log('mlx-train: no --preset or --config given; using the quick preset');
  }
  // Environment overrides (MLX_TRAIN_*, MLFLOW_TRACKING_URI) apply on the command line.
  return { preset, file: opts.config as string | undefined, set, flags, env: process.env, log };
}

/**
 * Loads the weights --checkpoint names into the trainer's model ('best' by default) and returns what
 * was loaded. 'none' keeps the model as the config builds it: a fused or other pretrained folder in
 * model.pretrained is already the trained model.
 */
export function loadModel(trainer: Trainer, checkpoint: unknown): string {
  if (checkpoint === 'none') {
    const pretrained = trainer.config.model.pretrained;
    return pretrained ? `the model in ${pretrained} (no checkpoint)` : 'the untrained model the config builds (no checkpoint)';
  }
  return trainer.loadWeightsFrom((checkpoint as string | undefined) ?? 'best');
}
