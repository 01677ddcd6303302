// Child of bench/trainer-fit.ts. Mode 'trainer': Trainer.fit on a synthetic CSV whose every row fills
// the sequence, with a BERT-mini-shaped classifier (createModel), tracking to a temp SQLite store and
// metrics logged every step. Mode 'loop': the same model, optimizer, clipping and batch shapes in a
// hand-written loop over our nn and optim (compiled step, no Trainer). Both time the steps after the
// warm-up ones, from one step's end to the next (so data loading, callbacks and logging count), by wall
// clock and process CPU. Prints one JSON line. Args: mode batch seq warmSteps timedSteps.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mx, nn, optim, Trainer } from '../../src/index.js';

const mode = process.argv[2] ?? 'trainer';
const batch = Number(process.argv[3] ?? 32);
const seq = Number(process.argv[4] ?? 128);
const warm = Number(process.argv[5] ?? 2);
const timed = Number(process.argv[6] ?? 6);
const steps = warm + timed;
const VOCAB = 30522;
const DIMS = 256;
const LR = 1e-4;

/** 4 post-norm encoder layers, hidden 256, 4 heads, FFN 1024, GELU, no dropout, [CLS] classifier. */
class BertMini extends nn.Module {
  tokens = new nn.Embedding(VOCAB, DIMS);
  positions = new nn.Embedding(512, DIMS);
  norm = new nn.LayerNorm(DIMS, { eps: 1e-12 });
  encoder = new nn.TransformerEncoder(4, DIMS, 4, { mlpDims: 1024, dropout: 0, activation: 'gelu', normFirst: false, normEps: 1e-12 });
  classifier = new nn.Linear(DIMS, 2);

  override forward(ids: mx.Array, inputs: { attentionMask?: mx.Array | null } = {}): mx.Array {
    const pos = mx.arange(ids.shape[1]);
    const h = this.norm.forward(mx.add(this.tokens.forward(ids), this.positions.forward(pos)));
    const out = this.encoder.forward(h, { attentionMask: inputs.attentionMask ?? undefined });
    return this.classifier.forward(mx.squeeze(mx.index(out, ':', mx.array([0]), ':'), 1));
  }
}

const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Wall and CPU time at the end of every step. */
const marks: { wall: number; cpu: number }[] = [];
const mark = () => marks.push({ wall: performance.now(), cpu: cpuNow() });
const innerMs: number[] = [];

/** A deterministic stream of numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
}

async function viaTrainer(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-bench-fit-'));
  try {
    // Train rows = steps × batch after the 20% validation split; each row has more words than `seq`.
    const rows = Math.ceil((steps * batch) / 0.8);
    const rand = rng(7);
    const words = Array.from({ length: 3000 }, (_, i) => `w${i.toString(36)}`);
    const lines = ['id,label,text'];
    for (let i = 0; i < rows; i++) lines.push(`${i},${i % 2},${Array.from({ length: seq + 16 }, () => words[Math.floor(rand() * words.length)]).join(' ')}`);
    writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
    const started = performance.now();
    const trainer = Trainer.fromConfig(
      {
        data: { trainPath: join(dir, 'train.csv'), labelColumn: 'label', idColumn: 'id', template: '{text}', vocabSize: 8000, validationSplit: 0.2, cacheDir: join(dir, 'cache') },
        model: { maxLength: seq },
        training: { epochs: 1, batchSize: batch, maxBatchSize: batch, dynamicBatching: false, learningRate: LR, weightDecay: 0.01, maxGradNorm: 1, warmupRatio: 0.1, schedule: 'linear', logEverySteps: 1, compile: true },
        tracking: { enabled: true, trackingUri: `sqlite:///${join(dir, 'mlflow.db')}`, artifactLocation: join(dir, 'artifacts'), experimentName: 'bench-trainer-fit' },
        outputDir: join(dir, 'out'),
      },
      {
        createModel: () => new BertMini(),
        log: () => {},
        progress: false,
        callbacks: [
          {
            onStepEnd: (state) => {
              mark();
              innerMs.push(state.lastStep!.stepTimeMs);
            },
          },
        ],
      },
    );
    const result = await trainer.fit();
    const fitSeconds = (performance.now() - started) / 1000;
    if (result.state.globalStep !== steps) throw new Error(`expected ${steps} steps but the Trainer took ${result.state.globalStep}`);
    // The loop's own step time (batch in hand → optimizer step read back), without callbacks and data.
    const inner = innerMs.slice(warm).sort((a, b) => a - b);
    return { fitSeconds, lastLoss: result.state.lastStep!.loss, innerStepMs: inner[inner.length >> 1] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function handWritten(): Promise<Record<string, number>> {
  const started = performance.now();
  mx.random.seed(42);
  const model = new BertMini();
  mx.eval(model.parameters());
  const opt = new optim.AdamW({ learningRate: LR, weightDecay: 0.01 });
  opt.init(model.trainableParameters());
  // Host-side token ids, as a data pipeline would hold them; each step makes its batch from them.
  const rand = rng(7);
  const ids = Int32Array.from({ length: steps * batch * seq }, () => 1 + Math.floor(rand() * 7999));
  const labels = Int32Array.from({ length: steps * batch }, (_, i) => i % 2);
  const lossFn = (x: mx.Array, m: mx.Array, y: mx.Array) => nn.losses.crossEntropy(model.forward(x, { attentionMask: m }), y, { reduction: 'mean' });
  const valueAndGrad = nn.valueAndGrad(model, lossFn);
  const state = [nn.moduleState(model), opt.state];
  const step = mx.compile(
    (x: mx.Array, m: mx.Array, y: mx.Array) => {
      const [loss, grads] = valueAndGrad(x, m, y);
      const [clipped, norm] = optim.clipGradNorm(grads, 1);
      opt.update(model, clipped);
      return [loss, norm];
    },
    { inputs: state, outputs: state },
  );
  const warmupSteps = Math.round(0.1 * steps);
  let loss = 0;
  for (let s = 0; s < steps; s++) {
    opt.learningRate = s < warmupSteps ? (LR * (s + 1)) / warmupSteps : LR * (1 - (s - warmupSteps) / Math.max(1, steps - warmupSteps));
    [loss] = mx.tidy(() => {
      const x = mx.array(ids.subarray(s * batch * seq, (s + 1) * batch * seq), { dtype: 'int32', shape: [batch, seq] });
      const m = mx.ones([batch, seq], 'int32');
      const y = mx.array(labels.subarray(s * batch, (s + 1) * batch), { dtype: 'int32', shape: [batch] });
      const [l, norm] = step(x, m, y);
      mx.keep(model.parameters());
      mx.keep(opt.state);
      mx.eval(l, norm, model.parameters(), opt.state);
      return [l.item() as number, norm.item() as number];
    });
    mark();
    await new Promise((r) => setImmediate(r));
  }
  return { fitSeconds: (performance.now() - started) / 1000, lastLoss: loss };
}

const extra = mode === 'trainer' ? await viaTrainer() : mode === 'loop' ? await handWritten() : null;
if (!extra) throw new Error(`trainer-fit case: unknown mode '${mode}' (expected trainer or loop)`);
const first = marks[warm - 1];
const last = marks[steps - 1];
const stepMs = (last.wall - first.wall) / timed;
const stepCpuMs = (last.cpu - first.cpu) / timed;
console.log(JSON.stringify({ stepMs, stepCpuMs, samplesPerSec: (batch * 1000) / stepMs, ...extra }));
