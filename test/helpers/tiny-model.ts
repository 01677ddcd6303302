/**
 * The shared tiny model of the trainer tests (Lightning's BoringModel idea): the classifier interface of
 * the real models (token ids + attention mask → logits) at a size that trains in milliseconds, with
 * dropout so RNG state matters for determinism and resume.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { mx, nn } from '../../src/index.js';
import type { StepBatch } from '../../src/trainer/step.js';

export class TinyClassifier extends nn.Module {
  embedding: nn.Embedding;
  hidden: nn.Linear;
  dropout: nn.Dropout;
  classifier: nn.Linear;

  constructor(vocabSize = 50, numLabels = 2, dims = 8, dropout = 0.1) {
    super();
    this.embedding = new nn.Embedding(vocabSize, dims);
    this.hidden = new nn.Linear(dims, dims);
    this.dropout = new nn.Dropout(dropout);
    this.classifier = new nn.Linear(dims, numLabels);
  }

  forward(inputIds: mx.Array, inputs: { attentionMask?: mx.Array | null } = {}): mx.Array {
    const h = this.embedding.forward(inputIds);
    const mask = (inputs.attentionMask ?? mx.onesLike(inputIds)).astype('float32');
    const summed = mx.sum(mx.multiply(h, mx.expandDims(mask, -1)), 1);
    const pooled = mx.divide(summed, mx.maximum(mx.expandDims(mx.sum(mask, 1), -1), 1));
    return this.classifier.forward(this.dropout.forward(mx.tanh(this.hidden.forward(pooled))));
  }
}

export function tinyModel(seed = 0, options: { vocabSize?: number; numLabels?: number; dropout?: number } = {}): TinyClassifier {
  mx.random.seed(seed);
  const m = new TinyClassifier(options.vocabSize ?? 50, options.numLabels ?? 2, 8, options.dropout ?? 0.1);
  mx.eval(m.parameters());
  return m;
}

/** A deterministic synthetic batch: ids in [1, vocab), some padding, labels from the first token. */
export function syntheticBatch(size: number, seqLen: number, seed: number, vocabSize = 50): StepBatch {
  let s = seed * 2654435761 + 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const ids = new Int32Array(size * seqLen);
  const mask = new Int32Array(size * seqLen);
  const labels = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const len = 2 + Math.floor(rand() * (seqLen - 1));
    for (let t = 0; t < Math.min(len, seqLen); t++) {
      ids[b * seqLen + t] = 1 + Math.floor(rand() * (vocabSize - 1));
      mask[b * seqLen + t] = 1;
    }
    labels[b] = ids[b * seqLen] % 2;
  }
  return {
    inputIds: mx.array(ids, { dtype: 'int32', shape: [size, seqLen] }),
    attentionMask: mx.array(mask, { dtype: 'int32', shape: [size, seqLen] }),
    tokenTypeIds: mx.zeros([size, seqLen], 'int32'),
    labels: mx.array(labels, { dtype: 'int32', shape: [size] }),
    size,
  };
}

/** Rows [start, end) of a batch, as its own batch. */
export function sliceBatch(b: StepBatch, start: number, end: number): StepBatch {
  const rows = mx.arange(start, end, { dtype: 'int32' });
  return {
    inputIds: mx.take(b.inputIds, rows, 0),
    attentionMask: mx.take(b.attentionMask, rows, 0),
    tokenTypeIds: mx.take(b.tokenTypeIds, rows, 0),
    labels: mx.take(b.labels, rows, 0),
    size: end - start,
  };
}

export function classificationLoss(model: nn.Module, batch: StepBatch): mx.Array {
  const logits = model.forward(batch.inputIds, { attentionMask: batch.attentionMask }) as mx.Array;
  return nn.losses.crossEntropy(logits, batch.labels, { reduction: 'mean' });
}

/** Copies of every parameter's values, keyed by dotted path. */
export function snapshot(model: nn.Module): Record<string, Float32Array> {
  return Object.fromEntries(mx.treeFlatten(model.parameters()).map(([k, v]) => [k, (v as mx.Array).toTypedArray() as Float32Array]));
}

/**
 * A small CSV classification task (id,label,text): the label is whether the text mentions 'red', with
 * filler words so batches have different lengths. Deterministic in `rows` and `seed`.
 */
export function writeToyCsv(path: string, rows = 64, seed = 7): string {
  const words = ['blue', 'green', 'small', 'large', 'round', 'square', 'soft', 'hard', 'old', 'new'];
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ['id,label,text'];
  for (let i = 0; i < rows; i++) {
    const red = i % 2 === 0;
    const n = 2 + Math.floor(rand() * 8);
    const text = Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]);
    text.splice(Math.floor(rand() * n), 0, red ? 'red' : 'grey');
    lines.push(`${i},${red ? 'yes' : 'no'},${text.join(' ')}`);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Trainer config overrides for fast tests on a toy CSV in `dir` (tracking off unless asked). */
export function toyConfig(dir: string, training: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    data: { trainPath: writeToyCsv(join(dir, 'toy.csv')), labelColumn: 'label', idColumn: 'id', vocabSize: 100, cacheDir: join(dir, 'cache'), validationSplit: 0.25 },
    model: { maxLength: 16 },
    training: { epochs: 3, batchSize: 8, maxBatchSize: 8, dynamicBatching: false, learningRate: 0.05, warmupRatio: 0.1, compile: false, logEverySteps: 2, ...training },
    tracking: { enabled: false },
    outputDir: join(dir, 'out'),
    ...extra,
  };
}

/** createModel for the Trainer: the tiny classifier sized to the tokenizer and labels. */
export const tinyModelFactory = (dropout = 0.1) => (info: { vocabSize: number; numLabels: number }) => new TinyClassifier(info.vocabSize, info.numLabels, 8, dropout);
