/** `mlx-train fuse`: a LoRA run's adapters merged into the base weights, written as a standalone Hugging Face folder. */
import { printJson, UsageError } from './output.js';
import { trainerOptions } from './trainer-options.js';

export async function run(opts: Record<string, unknown>): Promise<void> {
  const out = opts.out as string;
  const { Trainer } = await import('../trainer/index.js');
  const { isOccupied } = await import('../trainer/fuse.js');
  const trainer = new Trainer(trainerOptions(opts, (m) => process.stderr.write(`${m}\n`)));
  // Both checks come before any model is built or file read, so a wrong invocation fails at once.
  if (!trainer.config.training.lora.enabled) {
    throw new UsageError('fuse needs a LoRA run, but training.lora.enabled is false in this config (pass the config the adapters were trained with, or --set training.lora.enabled=true)');
  }
  if (isOccupied(out) && !opts.force) throw new UsageError(`the output folder ${out} exists and is not empty (pass --force to replace it)`);
  let source: string;
  if (typeof opts.adapters === 'string') {
    trainer.loadAdapters(opts.adapters);
    source = opts.adapters;
  } else {
    // As eval and predict: 'best' is the model fit() returns (the newest checkpoint when none is marked best).
    source = trainer.loadWeightsFrom((opts.checkpoint as string | undefined) ?? 'best');
  }
  const layers = trainer.fuseAdapters();
  const written = trainer.saveFused(out, { overwrite: Boolean(opts.force) });
  if (opts.json) return printJson({ source, output: written, fusedLayers: layers });
  process.stdout.write(`${written}\n`);
  process.stderr.write(`mlx-train: fused ${layers} LoRA layer(s) of ${source} into ${written}\n`);
  process.stderr.write(`mlx-train: use it with --set model.pretrained=${written} --set training.lora.enabled=false --set training.quantization.enabled=false (and --checkpoint none for eval/predict)\n`);
}
