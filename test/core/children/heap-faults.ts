// Child of test/core/heap-pages.test.ts: minor page faults per training step of a one-layer MiniLM-shaped
// encoder (30522 × 384 word embeddings, batch 16 × 64, AdamW, clipping), whose activations, gradients and
// new weights (~200 MB a step, more than MLX's 32 MB CPU buffer cache keeps) are freed and allocated again
// every step; the word-embedding gradient is one 47 MB block, above any mmap threshold glibc picks by
// itself. Measured after 3 warm-up steps.
import { readFileSync } from 'node:fs';
import { mx, nn, optim } from '../../../src/index.js';
import { TrainStep, type StepBatch } from '../../../src/trainer/step.js';

const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const [VOCAB, DIMS, BATCH, SEQ] = [30522, 384, 16, 64];

class Encoder extends nn.Module {
  tokens = new nn.Embedding(VOCAB, DIMS);
  layers = new nn.TransformerEncoder(1, DIMS, 12, { mlpDims: 4 * DIMS, activation: 'gelu' });
  head = new nn.Linear(DIMS, 2);
  override forward(ids: mx.Array, mask: mx.Array): mx.Array {
    return this.head.forward(mx.mean(this.layers.forward(this.tokens.forward(ids), { attentionMask: mask }), 1));
  }
}

mx.random.seed(0);
const model = new Encoder();
const ids = mx.random.randint(0, VOCAB, [BATCH, SEQ], { key: mx.random.key(1) });
const batch: StepBatch = { inputIds: ids, attentionMask: mx.ones([BATCH, SEQ], 'int32'), tokenTypeIds: mx.zeros([BATCH, SEQ], 'int32'), labels: mx.random.randint(0, 2, [BATCH], { key: mx.random.key(2) }), size: BATCH };
const loss = (m: nn.Module, b: StepBatch) => nn.losses.crossEntropy((m as Encoder).forward(b.inputIds, b.attentionMask), b.labels, { reduction: 'mean' });
const step = new TrainStep(model, new optim.AdamW({ learningRate: 1e-4 }), loss, { maxGradNorm: 1, compile: 'update' });
let start = 0;
for (let s = 0; s < 9; s++) {
  if (s === 3) start = minflt();
  step.run([batch]);
  await new Promise((r) => setImmediate(r));
}
console.log(JSON.stringify({ faultsPerStep: (minflt() - start) / 6 }));
