// Child of bench/op-overhead.ts: the CPU cost per op of building small MLX graphs from Node, frees
// included, mirrored op for op by bench/reference/op_overhead.py. Prints one JSON line.
//
// Each measurement times a window of `reps` chains of `ops` ops on a tiny array, in process CPU time
// (user + system, all threads: GC helpers and MLX's stream thread count too). Every array made in the
// window is also freed in it: the chain is dropped (`gc` path: GC finalizers, the safety net) or
// disposed by mx.tidy (`tidy` path: explicit lifetimes), the loop yields after each chain as an async
// training loop does, and the window ends with a full GC and a yield so the finalizers of the last
// chains run inside it, less one bare full GC timed right after (marking the live heap is no cost of
// the window's arrays). Python frees by reference count as it goes; it gets the same closing
// gc.collect(), less a bare one. `build` drops the chain unevaluated; `eval` evaluates it first.
//
// Usage: op-overhead.ts <ops per chain> <build reps> <eval reps> [perf]
// `perf` runs only the add/gc/build loop, long, for a profiler.
import { mx } from '../../src/index.js';
import { native } from '../../src/core/binding.js';

const ops = Number(process.argv[2] ?? 1000);
const buildReps = Number(process.argv[3] ?? 200);
const evalReps = Number(process.argv[4] ?? 50);
const perfMode = process.argv[5] === 'perf';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('op-overhead.ts: run under node --expose-gc');

const cpuNs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

const x = mx.array(Float32Array.from([1, 2, 3, 4]));
const m = mx.array(Float32Array.from([0.5, 0.25, -0.25, 0.5]), { shape: [2, 2] });
mx.eval(x, m);

type Step = (y: mx.Array, i: number) => mx.Array;

/** The ops, as in op_overhead.py: name, starting array, one step of the chain. */
const cases: [string, mx.Array, Step][] = [
  ['add(y, x)', x, (y) => mx.add(y, x)],
  ['multiply(y, 0.999)', x, (y) => mx.multiply(y, 0.999)],
  ['abs(y)', x, (y) => mx.abs(y)],
  ['sum(y, -1, keepdims)', x, (y) => mx.sum(y, -1, true)],
  ['reshape(y, [2,2] | [4])', x, (y, i) => mx.reshape(y, i & 1 ? [4] : [2, 2])],
  ['matmul(y, m) 2×2', m, (y) => mx.matmul(y, m)],
];

function chain(base: mx.Array, step: Step, evaluate: boolean): void {
  let y = base;
  for (let i = 0; i < ops; i++) y = step(y, i);
  if (evaluate) mx.eval(y);
}

/** CPU ns per op over `reps` chains, every array freed inside the window. */
async function measure(base: mx.Array, step: Step, evaluate: boolean, useTidy: boolean, reps: number): Promise<number> {
  const once = useTidy ? () => mx.tidy(() => chain(base, step, evaluate)) : () => chain(base, step, evaluate);
  for (let r = 0; r < 5; r++) {  // warm the JIT and MLX's allocator
    once();
    await turn();
  }
  await settle();
  const t0 = cpuNs();
  for (let r = 0; r < reps; r++) {
    once();
    await turn();
  }
  await settle();
  const t1 = cpuNs();
  // The closing full GC also marks the whole live heap, which has nothing to do with the window's
  // arrays (and costs ~100 ns/op spread over a short window): take off one bare full GC, timed now.
  await settle();
  return (t1 - t0 - (cpuNs() - t1)) / (reps * ops);
}

/** A full GC, then two event-loop turns, in which the FinalizationRegistry callbacks of what it collected run. */
async function settle(): Promise<void> {
  gc!();
  await turn();
  await turn();
}

if (perfMode) {
  const t0 = Date.now();
  while (Date.now() - t0 < 20_000) await measure(x, cases[0][2], false, false, 200);
  process.exit(0);
}

const results: Record<string, Record<string, number>> = {};
for (const [name, base, step] of cases) {
  results[name] = {
    gcBuild: await measure(base, step, false, false, buildReps),
    tidyBuild: await measure(base, step, false, true, buildReps),
    gcEval: await measure(base, step, true, false, evalReps),
    tidyEval: await measure(base, step, true, true, evalReps),
  };
}
// What one bare full GC costs (subtracted from each window above).
const g0 = cpuNs();
for (let i = 0; i < 20; i++) gc();
const bareGcMs = (cpuNs() - g0) / 20 / 1e6;
const h = x.handle;
const t0 = cpuNs();
for (let i = 0; i < 1_000_000; i++) native.isArray(h);
const bareCallNs = (cpuNs() - t0) / 1_000_000;
// The floor of any GC-tracked handle, whatever the protocol: a JS object registered with a
// FinalizationRegistry, made, dropped, collected and its cleanup callback run (no addon involved).
let cleaned = 0;
const registry = new FinalizationRegistry<number>((id) => { cleaned += id; });
const f0 = cpuNs();
for (let c = 0; c < 200; c++) {
  for (let i = 0; i < 1000; i++) registry.register({ id: i }, i);
  await turn();
}
gc();
await turn();
await new Promise((r) => setTimeout(r, 20));
const trackedObjectNs = Math.max(0, (cpuNs() - f0) / 200_000 - (bareGcMs * 1e6) / 200_000);
if (cleaned === 0) throw new Error('op-overhead.ts: the FinalizationRegistry never ran its cleanup');
console.log(JSON.stringify({ results, bareCallNs, bareGcMs, trackedObjectNs }));
