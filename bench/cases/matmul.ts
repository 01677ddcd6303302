// Child of bench/matmul.ts: fp32 matmul GFLOP/s through mlx-train, timed like bench/reference/matmul.py.
// Args: SHAPE... as BxMxKxN. Prints one JSON line {shape: gflops, 'cpu:'+shape: gflops per CPU-second}
// and the BLAS in use. The CPU-time figure is far steadier than wall time on a busy shared machine.
import { mx } from '../../src/index.js';
import { blasInfo } from '../../src/system/blas.js';

const out: Record<string, number> = {};
for (const spec of process.argv.slice(2)) {
  const [bsz, m, k, n] = spec.split('x').map(Number);
  const a = mx.random.normal(bsz > 1 ? [bsz, m, k] : [m, k]);
  const b = mx.random.normal(bsz > 1 ? [bsz, k, n] : [k, n]);
  mx.eval(a, b);
  mx.eval(mx.matmul(a, b));  // warm-up
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  let spent = 0;
  let reps = 0;
  while (reps < 3 || (spent < 1.5 && reps < 50)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const c = mx.matmul(a, b);
    mx.eval(c);
    const t = (performance.now() - t0) / 1000;
    const cu = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (cu.user + cu.system) / 1e6);
    c.dispose();
    best = Math.min(best, t);
    spent += t;
    reps++;
  }
  out[spec] = (2 * bsz * m * k * n) / best / 1e9;
  out[`cpu:${spec}`] = (2 * bsz * m * k * n) / bestCpu / 1e9;
  mx.dispose([a, b]);
}
const info = blasInfo();
console.log(JSON.stringify({ ...out, blas: `${info.kind}${info.version ? ` ${info.version}` : ''}${info.core ? ` (${info.core}, ${info.threads} threads)` : ''}` }));
