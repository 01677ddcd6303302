/**
 * Writes the exact training and validation examples our Trainer sees for a fine-tuning config — token ids
 * (after our tokenizer and truncation), token type ids, class ids and the epoch-0 batch plan — as JSON, so
 * that bench/finetune-hf.ts can feed the same rows, in the same tokens, to transformers.Trainer and to a
 * Python MLX loop. Args: --config FILE --model DIR --out FILE [--set key=value ...].
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Trainer } from '../../src/index.js';
import { planBatches } from '../../src/data/batching.js';
import { exampleLength } from '../../src/data/encoded.js';
import { batchSizeOf } from '../../src/trainer/auto-batch-size.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const out = arg('out');
const config = arg('config');
const model = arg('model');
if (!out || !config || !model) throw new Error('finetune-data: --config FILE --model DIR --out FILE are required');
const sets = [`model.pretrained=${model}`, 'tracking.enabled=false', `outputDir=${join(out, '..', 'out')}`];
sets.push(...process.argv.flatMap((a, i) => (a === '--set' && process.argv[i + 1] ? [process.argv[i + 1]] : [])));
const trainer = new Trainer({ file: config, set: sets, progress: false, plots: false, log: () => {} });
const data = trainer.data;
const ex = data.table.examples;
const pick = (rows: number[]) => ({
  ids: rows.map((i) => Array.from(ex.ids.subarray(ex.offsets[i], ex.offsets[i + 1]))),
  typeIds: rows.map((i) => Array.from(ex.typeIds.subarray(ex.offsets[i], ex.offsets[i + 1]))),
  labels: rows.map((i) => data.labelIds[i]),
});
const t = trainer.config.training;
// setup() (trainer.data) has resolved batchSize: auto to a number.
const batchSize = batchSizeOf(t);
if (t.dynamicBatching) throw new Error('finetune-data: the comparison uses fixed batches; set training.dynamicBatching=false');
const trainLengths = data.split.train.map((i) => exampleLength(ex, i));
writeFileSync(out, JSON.stringify({
  numClasses: data.labels.classes.length,
  padId: data.tokenizer.tokenToId('[PAD]') ?? 0,
  train: pick(data.split.train),
  validation: pick(data.split.validation),
  // Positions into `train` of each batch of epoch 0, as our loader cuts them (length-bucketed, shuffled).
  batches: planBatches(trainLengths, { batchSize, maxBatchSize: batchSize }, t.seed, 0),
  training: { epochs: t.epochs, learningRate: t.learningRate, batchSize, warmupRatio: t.warmupRatio, weightDecay: t.weightDecay, maxGradNorm: t.maxGradNorm, schedule: t.schedule, seed: t.seed, lora: t.lora },
  model: { maxLength: trainer.config.model.maxLength, pooling: trainer.config.model.pooling, dropout: trainer.config.model.dropout },
}));
console.log(JSON.stringify({ ok: true, train: data.split.train.length, validation: data.split.validation.length }));
