/** `mlx-train eval`: validation metrics of a trained checkpoint. */
import { printJson } from './output.js';
import { printTable } from './table.js';
import { loadModel, trainerOptions } from './trainer-options.js';

export async function run(opts: Record<string, unknown>): Promise<void> {
  const { Trainer } = await import('../trainer/index.js');
  const trainer = new Trainer(trainerOptions(opts, (m) => process.stderr.write(`${m}\n`)));
  // fit() leaves the best model in memory, so the CLI scores that one too ('best' falls back to the newest).
  const checkpoint = loadModel(trainer, opts.checkpoint);
  process.stderr.write(`mlx-train: evaluating ${checkpoint}\n`);
  const metrics = await trainer.evaluate();
  if (opts.json) return printJson({ checkpoint, metrics });
  const rows = Object.entries(metrics)
    // Regression has no accuracy/precision/recall/f1 (NaN) and no confusion matrix.
    .filter(([, v]) => typeof v === 'number' && !Number.isNaN(v))
    .map(([k, v]) => [k, (v as number).toFixed(4)]);
  printTable(['metric', 'value'], rows);
  if (metrics.confusionMatrix.length) process.stdout.write(`confusion matrix (rows: true, columns: predicted): ${JSON.stringify(metrics.confusionMatrix)}\n`);
}
