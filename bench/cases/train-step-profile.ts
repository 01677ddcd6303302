// Where one uncompiled training step of bench/cases/train-step.ts spends its time. MLX has no CPU
// profiler, so each op family is built as its own sub-graph at the model's shapes (forward + its
// gradient, as the step runs it), evaluated alone and timed; the per-step figure is that times the number
// of such ops in the step. Which ones use more than one thread is read from Linux's per-thread CPU
// counters (/proc/self/task/*/stat): the busiest thread's share of the process CPU is ~100% for an op
// that runs single-threaded. On MLX's CPU backend only BLAS matmuls (2 OpenBLAS threads) and our fused
// GELU primitive (native/fused_gelu.cc, its own pool) spread over threads; everything else runs on the
// one stream thread. Wall time on a loaded machine is inflated by
// waiting for a core, so the CPU columns are the steadier ones.
// Prints a Markdown table. Run: node --import ./scripts/register-ts.mjs bench/cases/train-step-profile.ts [batch] [seq] [reps]
import { readdirSync, readFileSync } from 'node:fs';
import { mx, nn, optim } from '../../src/index.js';

const batch = Number(process.argv[2] ?? 32);
const seq = Number(process.argv[3] ?? 128);
const reps = Number(process.argv[4] ?? 3);
const VOCAB = 30522, DIMS = 256, HEADS = 4, MLP = 1024, LAYERS = 4;
const tokens = batch * seq;

const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** CPU clock ticks (user + system, 1/100 s) of every thread of this process. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Fields after the ")" that closes the thread name: state is field 3, utime 14, stime 15.
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks.set(tid, Number(f[11]) + Number(f[12]));
    } catch { /* the thread ended meanwhile */ }
  }
  return ticks;
}

/** Median wall and process-CPU ms of evaluating `build()` (one warm-up run first), and the busiest thread's share of the CPU over the timed runs. */
function time(build: () => mx.Array[]): { wall: number; cpu: number; busiest: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  let before = new Map<string, number>();
  for (let r = 0; r < reps + 1; r++) {
    if (r === 1) before = threadTicks();
    mx.tidy(() => {
      const c0 = cpuNow();
      const t0 = process.hrtime.bigint();
      mx.eval(...build());
      if (r > 0) { walls.push(Number(process.hrtime.bigint() - t0) / 1e6); cpus.push(cpuNow() - c0); }
    });
  }
  const deltas = [...threadTicks()].map(([tid, t]) => t - (before.get(tid) ?? 0));
  const total = deltas.reduce((a, b) => a + b, 0);
  return { wall: median(walls), cpu: median(cpus), busiest: total >= 10 ? Math.max(...deltas) / total : NaN };  // < 0.1 s: too few ticks
}

const normal = (shape: number[], seed: number) => mx.random.normal(shape, { key: mx.random.key(seed) });
const sumOf = (f: (...xs: mx.Array[]) => mx.Array) => (...xs: mx.Array[]) => mx.sum(f(...xs));
/** Forward value and the gradient with respect to every input, as the backward pass needs them. */
const fwdBwd = (f: (...xs: mx.Array[]) => mx.Array, inputs: mx.Array[]) => () => {
  const [v, g] = mx.valueAndGrad(sumOf(f), inputs.map((_, i) => i))(...inputs);
  return [v, ...(g as mx.Array[])];
};

const x256 = normal([batch, seq, DIMS], 1);
const x1024 = normal([batch, seq, MLP], 2);
const w256 = normal([DIMS, DIMS], 3);
const w1 = normal([DIMS, MLP], 4);
const w2 = normal([MLP, DIMS], 5);
const q = normal([batch, HEADS, seq, DIMS / HEADS], 6);
const k = normal([batch, HEADS, seq, DIMS / HEADS], 7);
const v = normal([batch, HEADS, seq, DIMS / HEADS], 8);
const scores = normal([batch, HEADS, seq, seq], 9);
const gamma = mx.ones([DIMS]);
const beta = mx.zeros([DIMS]);
const table = normal([VOCAB, DIMS], 10);
const ids = mx.random.randint(0, VOCAB, [batch, seq], { key: mx.random.key(11) });
const padMask = nn.MultiHeadAttention.createPaddingMask(mx.ones([batch, seq], 'int32'));
mx.eval(x256, x1024, w256, w1, w2, q, k, v, scores, table, ids, padMask);
const dropout = new nn.Dropout(0.1);

interface Part { name: string; perStep: number; threads: string; build: () => mx.Array[] }
const parts: Part[] = [
  { name: 'Linear matmuls: q/k/v/out 256×256 (4 per layer)', perStep: 4 * LAYERS, threads: 'BLAS (2)', build: fwdBwd((x, w) => mx.matmul(x, w), [x256, w256]) },
  { name: 'Linear matmul: FFN in 256×1024', perStep: LAYERS, threads: 'BLAS (2)', build: fwdBwd((x, w) => mx.matmul(x, w), [x256, w1]) },
  { name: 'Linear matmul: FFN out 1024×256', perStep: LAYERS, threads: 'BLAS (2)', build: fwdBwd((x, w) => mx.matmul(x, w), [x1024, w2]) },
  { name: 'attention core: fast.scaledDotProductAttention with the padding mask (batched QKᵀ, softmax, ·V)', perStep: LAYERS, threads: 'mixed', build: fwdBwd((a, b, c) => mx.fast.scaledDotProductAttention(a, b, c, { scale: 0.125, mask: padMask }), [q, k, v]) },
  { name: '… of which softmax over [B,4,128,128]', perStep: LAYERS, threads: 'stream (1)', build: fwdBwd((s) => mx.softmax(s, -1, true), [scores]) },
  { name: 'LayerNorm (fast.layerNorm) over [B,128,256]', perStep: 2 * LAYERS + 2, threads: 'stream (1)', build: fwdBwd((x, g, b) => mx.fast.layerNorm(x, g, b, 1e-12), [x256, gamma, beta]) },
  { name: 'GELU (exact, erf) over [B,128,1024]: nn.gelu = fused mx.fused.gelu primitive for float32', perStep: LAYERS, threads: `fused pool (${mx.fused.threads()})`, build: fwdBwd((x) => nn.gelu(x), [x1024]) },
  { name: 'dropout over [B,128,256] (mask draw + scale)', perStep: 2 * LAYERS + 1, threads: 'stream (1)', build: fwdBwd((x) => dropout.forward(x), [x256]) },
  { name: 'dropout over [B,128,1024]', perStep: LAYERS, threads: 'stream (1)', build: fwdBwd((x) => dropout.forward(x), [x1024]) },
  { name: 'residual adds over [B,128,256]', perStep: 2 * LAYERS, threads: 'stream (1)', build: fwdBwd((a, b) => mx.add(a, b), [x256, x256]) },
  { name: 'token embedding: gather + gradient scatter-add into 30522×256', perStep: 1, threads: 'stream (1)', build: fwdBwd((t) => mx.take(t, ids, 0), [table]) },
];

// The whole model and its AdamW update, as bench/cases/train-step.ts builds them.
class BertMini extends nn.Module {
  tokens = new nn.Embedding(VOCAB, DIMS);
  positions = new nn.Embedding(512, DIMS);
  norm = new nn.LayerNorm(DIMS, { eps: 1e-12 });
  dropout = new nn.Dropout(0.1);
  encoder = new nn.TransformerEncoder(LAYERS, DIMS, HEADS, { mlpDims: MLP, dropout: 0.1, activation: 'gelu', normFirst: false, normEps: 1e-12 });
  classifier = new nn.Linear(DIMS, 2);

  override forward(x: mx.Array, attentionMask: mx.Array): mx.Array {
    const h = this.dropout.forward(this.norm.forward(mx.add(this.tokens.forward(x), this.positions.forward(mx.arange(x.shape[1])))));
    return this.classifier.forward(mx.squeeze(mx.index(this.encoder.forward(h, { attentionMask }), ':', mx.array([0]), ':'), 1));
  }
}
const model = new BertMini();
const opt = new optim.AdamW({ learningRate: 1e-4, weightDecay: 0.01 });
opt.init(model.trainableParameters());
const labels = mx.random.randint(0, 2, [batch], { key: mx.random.key(12) });
const attentionMask = mx.ones([batch, seq], 'int32');
mx.eval(model.parameters(), opt.state, labels);
const lossFn = (x: mx.Array, m: mx.Array, y: mx.Array) => nn.losses.crossEntropy(model.forward(x, m), y, { reduction: 'mean' });
const valueAndGrad = nn.valueAndGrad(model, lossFn);
const params = model.trainableParameters();

const share = (b: number) => (Number.isNaN(b) ? 'n/a' : `${(100 * b).toFixed(0)}%`);
const row = (name: string, threads: string, perStep: number, t: { wall: number; cpu: number; busiest: number }) =>
  [name, threads, String(perStep), t.wall.toFixed(1), t.cpu.toFixed(1), (t.wall * perStep).toFixed(0), (t.cpu * perStep).toFixed(0), share(t.busiest)];
const rows: string[][] = [];
let accounted = 0;
let accountedCpu = 0;
for (const p of parts) {
  const t = time(p.build);
  const sub = p.name.startsWith('…');
  if (!sub) { accounted += t.wall * p.perStep; accountedCpu += t.cpu * p.perStep; }
  rows.push(row(p.name, p.threads, p.perStep, t));
  process.stderr.write(`  ${p.name}: ${JSON.stringify(t)}\n`);
}
// AdamW over the real parameter tree; the gradient tree is the parameters themselves (same shapes, same work).
const adam = time(() => {
  const updated = opt.applyGradients(params, params);
  return [...mx.treeFlatten(updated).map(([, a]) => a as mx.Array), ...mx.treeFlatten(opt.state).map(([, a]) => a as mx.Array)];
});
accounted += adam.wall; accountedCpu += adam.cpu;
rows.push(row('AdamW update, all parameters (~11 M)', 'stream (1)', 1, adam));
const step = time(() => {
  const [loss, g] = valueAndGrad(ids, attentionMask, labels);
  const updated = opt.applyGradients(g, params);
  return [loss, ...mx.treeFlatten(updated).map(([, a]) => a as mx.Array)];
});

const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(0)}%`;
console.log(`Uncompiled step (forward + backward + AdamW) in this process: ${step.wall.toFixed(0)} ms wall, ${step.cpu.toFixed(0)} ms process CPU (busiest thread ${share(step.busiest)} of it); the parts below add up to ${accounted.toFixed(0)} ms wall (${pct(accounted, step.wall)}), ${accountedCpu.toFixed(0)} ms CPU (${pct(accountedCpu, step.cpu)}).`);
console.log('');
console.log('| op family (forward + gradient) | runs on | per step | wall ms each | CPU ms each | wall ms per step | CPU ms per step | share of step CPU | busiest thread\'s share of its CPU |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const s = pct(Number(r[6]), step.cpu);
  console.log(`| ${[...r.slice(0, 7), r[0].startsWith('…') ? `(${s})` : s, r[7]].join(' | ')} |`);
}
console.log(`| rest (graph building, indexing, cross-entropy, copies, allocation) | | | | | ${(step.wall - accounted).toFixed(0)} | ${(step.cpu - accountedCpu).toFixed(0)} | ${pct(step.cpu - accountedCpu, step.cpu)} | |`);
