// Child of bench/memory-flat.ts: a training-like loop making 256 KB temporaries, in one of four styles.
// Prints one JSON line: samples of RSS and MLX active memory (MB) every tenth of the run.
import { mx } from '../../src/index.js';

const mode = process.argv[2] as 'no-dispose' | 'no-dispose-sync' | 'tidy' | 'using';
const steps = Number(process.argv[3] ?? 20_000);
const MB = 2 ** 20;
const w = mx.ones([256, 256]);
const x = mx.ones([256]);
const samples: { step: number; rssMb: number; activeMb: number }[] = [];
const sample = (step: number) => samples.push({ step, rssMb: process.memoryUsage().rss / MB, activeMb: mx.getActiveMemory() / MB });

/** One "step": a few ops whose intermediates are garbage as soon as the step ends. */
function step(): mx.Array {
  const h = mx.tanh(mx.add(mx.multiply(w, 0.5), x));  // 256 KB intermediates
  return mx.sum(mx.multiply(h, h));
}

/** The same step with every intermediate bound by `using`, so each is freed when the step's block ends. */
function stepUsing(): void {
  using scaled = mx.multiply(w, 0.5);
  using shifted = mx.add(scaled, x);
  using h = mx.tanh(shifted);
  using sq = mx.multiply(h, h);
  using loss = mx.sum(sq);
  mx.eval(loss);
}

const ceilingMb = 3072;  // a leaking mode stops here instead of exhausting the machine
const t0 = performance.now();
for (let i = 0; i <= steps; i++) {
  if (mode === 'tidy') {
    mx.tidy(() => mx.eval(step()));
  } else if (mode === 'using') {
    stepUsing();
  } else {
    mx.eval(step());
  }
  // A real loop awaits (data loading, asyncEval, logging); GC finalizers (FinalizationRegistry callbacks) only run when it does.
  if (mode === 'no-dispose' && i % 100 === 0) await new Promise((r) => setImmediate(r));
  if (i % (steps / 10) === 0) sample(i);
  if (process.memoryUsage().rss / MB > ceilingMb) {
    sample(i);
    break;
  }
}
console.log(JSON.stringify({ mode, steps, seconds: (performance.now() - t0) / 1000, samples }));
