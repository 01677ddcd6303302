/** The config flags shared by train, eval and predict, turned into Trainer resolve options. */
import type { Trainer, TrainerOptions } from '../trainer/index.js';

export function trainerOptions(opts: Record<string, unknown>, log: (m: string) => void): TrainerOptions {
  const set = [...((opts.set as string[] | undefined) ?? [])];
  if (typeof opts.experiment === 'string') set.push(`tracking.experimentName=${opts.experiment}`);
  if (typeof opts.outputDir === 'string') set.push(`outputDir=${opts.outputDir}`);
  if (opts.track === false) set.push('tracking.enabled=false');
  if (typeof opts.batchSize === 'string') set.push(`training.batchSize=${opts.batchSize}`);
  let preset = opts.preset as string | undefined;
  if (!preset && !opts.config) {
    preset = 'quick';
    log('mlx-train: no --preset or --config given; using the quick preset');
  }
  // Environment overrides (MLX_TRAIN_*, MLFLOW_TRACKING_URI) apply on the command line.
  return { preset, file: opts.config as string | undefined, set, env: process.env, log };
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
