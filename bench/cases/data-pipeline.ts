// Child of bench/data-pipeline.ts: load → template → tokenize → batch on a big CSV, and the time of a
// BERT-mini-sized training step's matmuls in MLX at the batch shapes the pipeline produced.
// Prints one JSON line. Args: csvPath tokenizerPath batchSize maxLength
import * as mx from '../../src/core/index.js';
import { DataLoader, defaultTemplate, readCsvFile, type Row } from '../../src/data/index.js';
import { encodeExamples } from '../../src/data/encoded.js';
import { toMxBatch } from '../../src/data/collate.js';
import { loadTokenizer } from '../../src/tokenizers/index.js';

const [csvPath, tokenizerPath] = process.argv.slice(2, 4);
const batchSize = Number(process.argv[4] ?? 32);
const maxLength = Number(process.argv[5] ?? 128);
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

let t = process.hrtime.bigint();
const table = readCsvFile(csvPath);
const loadMs = ms(t);

t = process.hrtime.bigint();
const features = table.columns.filter((c) => c !== 'Survived' && c !== 'PassengerId');
const template = defaultTemplate(features);
const texts = table.rows.map((r) => template.render(Object.fromEntries(table.columns.map((c, i) => [c, r[i] === '' ? null : r[i]])) as Row));
const labels = Int32Array.from(table.rows, (r) => Number(r[1]));
const renderMs = ms(t);

const tokenizer = loadTokenizer(tokenizerPath).noPadding().enableTruncation({ maxLength });
t = process.hrtime.bigint();
const examples = encodeExamples(tokenizer, texts);
const tokenizeMs = ms(t);

// One epoch of batches: plan (seeded shuffle + length buckets), collate, MLX arrays, evaluated, disposed.
const loader = new DataLoader(examples, Array.from({ length: examples.count }, (_, i) => i), labels, { padId: 0, seed: 1, prefetch: 0, batching: { batchSize } });
t = process.hrtime.bigint();
let batches = 0;
let paddedTokens = 0;
const seqLens: number[] = [];
for (const host of loader.hostBatches(0)) {
  const b = toMxBatch(host);
  mx.eval(b.inputIds, b.attentionMask, b.tokenTypeIds, b.labels as mx.Array);
  paddedTokens += b.size * b.seqLen;
  seqLens.push(b.seqLen);
  batches++;
  b.dispose();
}
const batchMs = ms(t);

// BERT-mini (4 layers, hidden 256, FFN 1024) step at the median batch shape: forward matmuls ×3 for forward + backward.
seqLens.sort((a, b) => a - b);
const seq = seqLens[seqLens.length >> 1];
const tokens = batchSize * seq;
const hidden = 256;
const ffn = 1024;
const layers = 4;
const rand = (shape: number[]) => mx.random.normal(shape, { scale: 0.02 });
const x = rand([tokens, hidden]);
const weights = [rand([hidden, 3 * hidden]), rand([hidden, hidden]), rand([hidden, ffn]), rand([ffn, hidden])];
const h = rand([tokens, ffn]);
const q = rand([batchSize, seq, hidden]);
const kT = rand([batchSize, hidden, seq]);
const scores = rand([batchSize, seq, seq]);
mx.eval(x, h, q, kT, scores, ...weights);
function step(): number {
  const s = process.hrtime.bigint();
  const outs: mx.Array[] = [];
  for (let l = 0; l < layers * 3; l++) {
    outs.push(mx.matmul(x, weights[0]), mx.matmul(x, weights[1]), mx.matmul(x, weights[2]), mx.matmul(h, weights[3]), mx.matmul(q, kT), mx.matmul(scores, q));
  }
  mx.eval(...outs);
  outs.forEach((o) => o.dispose());
  return ms(s);
}
step();
const stepTimes = Array.from({ length: 5 }, step).sort((a, b) => a - b);
const stepMs = stepTimes[2];
const flops = layers * 3 * 2 * (tokens * hidden * (3 * hidden + hidden + ffn) + tokens * ffn * hidden + 2 * batchSize * seq * seq * hidden);

console.log(JSON.stringify({
  rows: table.rows.length, tokens: examples.ids.length, batches, paddedTokens, medianSeqLen: seq,
  loadMs, renderMs, tokenizeMs, batchMs, stepMs, stepGflops: flops / stepMs / 1e6,
}));
