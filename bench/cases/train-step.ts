// Child of bench/train-step.ts: one training step of a BERT-mini-shaped classifier built with our nn
// (token + position embeddings, LayerNorm, 4 post-norm encoder layers, hidden 256, 4 heads, FFN 1024,
// GELU, dropout 0.1, [CLS] classifier) and AdamW. Prints one JSON line of wall-clock medians (ms):
// uncompiled forward / backward / optimizer split, and the compiled step (forward + backward + update).
// Args: batch seq steps [layers dims heads ffn] [compiled] (default 4 256 4 1024; MiniLM-L6 is 6 384 12 1536);
// 'compiled' skips the uncompiled steps (for profiling the compiled step alone with perf).
import { mx, nn, optim } from '../../src/index.js';

const batch = Number(process.argv[2] ?? 32);
const seq = Number(process.argv[3] ?? 128);
const steps = Number(process.argv[4] ?? 3);
const VOCAB = 30522;
const LAYERS = Number(process.argv[5] ?? 4);
const DIMS = Number(process.argv[6] ?? 256);
const HEADS = Number(process.argv[7] ?? 4);
const FFN = Number(process.argv[8] ?? 1024);
const COMPILED_ONLY = process.argv[9] === 'compiled';

class BertMini extends nn.Module {
  tokens = new nn.Embedding(VOCAB, DIMS);
  positions = new nn.Embedding(512, DIMS);
  norm = new nn.LayerNorm(DIMS, { eps: 1e-12 });
  dropout = new nn.Dropout(0.1);
  encoder = new nn.TransformerEncoder(LAYERS, DIMS, HEADS, { mlpDims: FFN, dropout: 0.1, activation: 'gelu', normFirst: false, normEps: 1e-12 });
  classifier = new nn.Linear(DIMS, 2);

  override forward(ids: mx.Array, attentionMask: mx.Array): mx.Array {
    const pos = mx.arange(ids.shape[1]);
    const h = this.dropout.forward(this.norm.forward(mx.add(this.tokens.forward(ids), this.positions.forward(pos))));
    const out = this.encoder.forward(h, { attentionMask });
    return this.classifier.forward(mx.squeeze(mx.index(out, ':', mx.array([0]), ':'), 1));
  }
}

mx.random.seed(0);
const model = new BertMini();
const opt = new optim.AdamW({ learningRate: 1e-4, weightDecay: 0.01 });
opt.init(model.trainableParameters());
const ids = mx.random.randint(0, VOCAB, [batch, seq], { key: mx.random.key(1) });
const attentionMask = mx.ones([batch, seq], 'int32');
const labels = mx.random.randint(0, 2, [batch], { key: mx.random.key(2) });
mx.eval(model.parameters(), opt.state, ids, attentionMask, labels);

const lossFn = (x: mx.Array, m: mx.Array, y: mx.Array) => nn.losses.crossEntropy(model.forward(x, m), y, { reduction: 'mean' });
const valueAndGrad = nn.valueAndGrad(model, lossFn);
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
// Process CPU time (all threads: BLAS, MLX's stream thread, GC) is far less distorted by a busy machine.
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const yieldToFinalizers = () => new Promise((r) => setImmediate(r));
// As the Trainer does (and as Python's reference counting does for the reference): the step's replaced
// weights and optimizer state are disposed before the eval, so MLX can write the update into their
// buffers, and V8 never counts two copies of them (which set off a full collection every step).
const stateArrays = () => [...mx.treeArrays(model.parameters(), 'parameters'), ...mx.treeArrays(opt.state, 'optimizer state')];
const disposeReplaced = (before: mx.Array[]) => {
  const after = new Set(stateArrays());
  for (const a of before) if (!after.has(a)) a.dispose();
};

const fwd: number[] = [];
const fwdBwd: number[] = [];
const upd: number[] = [];
const stepCpu: number[] = [];
for (let s = 0; s < (COMPILED_ONLY ? 0 : steps + 1); s++) {
  let t0 = process.hrtime.bigint();
  mx.tidy(() => mx.eval(lossFn(ids, attentionMask, labels)));
  const f = ms(t0);
  const c0 = cpuNow();
  t0 = process.hrtime.bigint();
  const grads = mx.tidy(() => {
    const [loss, g] = valueAndGrad(ids, attentionMask, labels);
    mx.eval(loss, g);
    return g;
  });
  const fb = ms(t0);
  t0 = process.hrtime.bigint();
  const before = stateArrays();
  mx.tidy(() => {
    opt.update(model, grads);
    disposeReplaced(before);
    mx.eval(model.parameters(), opt.state);
    return [model.parameters(), opt.state];
  });
  const u = ms(t0);
  const c = cpuNow() - c0;
  mx.dispose(grads);
  if (s > 0) { fwd.push(f); fwdBwd.push(fb); upd.push(u); stepCpu.push(c); }  // step 0 warms allocator and caches
  await yieldToFinalizers();
}

// The random key is not part of the compiled state (mx.random.setState cannot take a traced array yet),
// so dropout reuses one mask per compiled graph; the reference does the same, so the work is equal.
const state = [nn.moduleState(model), opt.state];
const step = mx.compile((x: mx.Array, m: mx.Array, y: mx.Array) => {
  const [loss, g] = valueAndGrad(x, m, y);
  opt.update(model, g);
  return loss;
}, { inputs: state, outputs: state });
const compiled: number[] = [];
const compiledCpu: number[] = [];
for (let s = 0; s < steps + 2; s++) {
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const before = stateArrays();
  mx.tidy(() => {
    const loss = step(ids, attentionMask, labels);
    disposeReplaced(before);
    mx.eval(loss, model.parameters(), opt.state);
    return [model.parameters(), opt.state];
  });
  if (s > 1) { compiled.push(ms(t0)); compiledCpu.push(cpuNow() - c0); }  // the first call traces and compiles, the second warms up
  await yieldToFinalizers();
}

const forwardMs = median(fwd);
const backwardMs = median(fwdBwd) - forwardMs;
const optimizerMs = median(upd);
const stepMs = median(fwdBwd) + optimizerMs;
const compiledStepMs = median(compiled);
console.log(JSON.stringify({
  forwardMs, backwardMs, optimizerMs, stepMs, compiledStepMs, samplesPerSec: (batch * 1000) / stepMs, compiledSamplesPerSec: (batch * 1000) / compiledStepMs,
  stepCpuMs: median(stepCpu), compiledStepCpuMs: median(compiledCpu),
}));
