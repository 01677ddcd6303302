// Child of bench/op-overhead.ts: graph-building cost per op on a tiny array, and a bare addon call.
// Prints one JSON line; times are the best of `reps` repetitions, in ns per op, measured as process CPU
// time (user + system, all threads: GC helpers and MLX's stream thread count too), which a busy shared
// machine distorts far less than wall time.
import { mx } from '../../src/index.js';
import { native } from '../../src/core/binding.js';

const ops = Number(process.argv[2] ?? 1000);
const reps = Number(process.argv[3] ?? 30);
const now = (): bigint => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};

const x = mx.array(Float32Array.from([1, 2, 3, 4]));
mx.eval(x);

function best(run: () => bigint): number {
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps + 3; r++) {
    const t = Number(run());
    if (r >= 3) b = Math.min(b, t);  // the first repetitions warm the JIT and MLX's allocator
  }
  return b / ops;
}

/**
 * Builds the chain, evaluates it, then yields once to the event loop (where N-API runs the finalizers
 * that free earlier chains, as in any loop that awaits); returns [build ns, build + eval + yield ns].
 */
async function chain(step: (y: mx.Array) => mx.Array): Promise<[number, number]> {
  let buildBest = Number.POSITIVE_INFINITY;
  let totalBest = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps + 3; r++) {
    const t0 = now();
    let y = x;
    for (let i = 0; i < ops; i++) y = step(y);
    const t1 = now();
    mx.eval(y);
    await new Promise((r) => setImmediate(r));
    const t2 = now();
    if (r >= 3) {
      buildBest = Math.min(buildBest, Number(t1 - t0));
      totalBest = Math.min(totalBest, Number(t2 - t0));
    }
  }
  return [buildBest / ops, totalBest / ops];
}

const [arrayOpNs, arrayChainNs] = await chain((y) => mx.add(y, x));
const [scalarOpNs, scalarChainNs] = await chain((y) => mx.multiply(y, 0.999));
const h = x.handle;
const bareCallNs = best(() => {
  const t0 = now();
  for (let i = 0; i < ops * 1000; i++) native.isArray(h);
  return (now() - t0) / 1000n;
});
console.log(JSON.stringify({ arrayOpNs, arrayChainNs, scalarOpNs, scalarChainNs, bareCallNs }));
