/** `mlx-train predict`: a submission CSV (id, prediction) for a test CSV from a trained checkpoint. */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { printJson, UsageError } from './output.js';
import { loadModel, trainerOptions } from './trainer-options.js';

export async function run(opts: Record<string, unknown>, args: string[]): Promise<void> {
  const testCsv = args[0];
  if (!testCsv) throw new UsageError('predict: expected the test CSV path, e.g. mlx-train predict test.csv');
  const { Trainer } = await import('../trainer/index.js');
  const trainer = new Trainer(trainerOptions(opts, (m) => process.stderr.write(`${m}\n`)));
  // fit() leaves the best model in memory, so the CLI scores that one too ('best' falls back to the newest).
  const checkpoint = loadModel(trainer, opts.checkpoint);
  process.stderr.write(`mlx-train: predicting ${testCsv} with ${checkpoint}\n`);
  const predictions = await trainer.predict(testCsv);
  let written = join(trainer.config.outputDir, 'predictions.csv');
  if (typeof opts.output === 'string') {
    renameSync(written, opts.output);
    written = opts.output;
  }
  if (opts.json) return printJson({ checkpoint, output: written, predictions });
  process.stdout.write(`${written}\n`);
  process.stderr.write(`mlx-train: wrote ${predictions.length} predictions to ${written}\n`);
}
