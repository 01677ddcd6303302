/** The config flags shared by train, eval and predict, turned into Trainer resolve options. */
import type { TrainerOptions } from '../trainer/index.js';

export function trainerOptions(opts: Record<string, unknown>, log: (m: string) => void): TrainerOptions {
  const set = [...((opts.set as string[] | undefined) ?? [])];
  if (typeof opts.experiment === 'string') set.push(`tracking.experimentName=${opts.experiment}`);
  if (typeof opts.outputDir === 'string') set.push(`outputDir=${opts.outputDir}`);
  if (opts.track === false) set.push('tracking.enabled=false');
  let preset = opts.preset as string | undefined;
  if (!preset && !opts.config) {
    preset = 'quick';
    log('mlx-train: no --preset or --config given; using the quick preset');
  }
  // Environment overrides (MLX_TRAIN_*, MLFLOW_TRACKING_URI) apply on the command line.
  return { preset, file: opts.config as string | undefined, set, env: process.env, log };
}
