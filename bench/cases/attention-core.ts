// Child of bench/attention-core.ts: the attention core alone, forward and backward (grad of
// sum(out·g) for q, k, v), compiled, over a padded batch. Variants: 'core' (mx.fused.attention, one
// primitive each way), 'softmax' (what it replaced: MLX's batched matmuls around mx.fused.maskedSoftmax),
// 'fast' (mx.fast.scaledDotProductAttention), 'dropout' (the core with attention-probability dropout 0.1).
// Prints one JSON line: median wall and process CPU ms.
// Args: variant batch heads seq headDim [steps]
import { mx } from '../../src/index.js';

const [variant, b, h, t, d, stepsArg] = process.argv.slice(2);
const [B, H, T, D] = [b, h, t, d].map(Number);
const steps = Number(stepsArg ?? 20);
const scale = 1 / Math.sqrt(D);

const attention: Record<string, (q: mx.Array, k: mx.Array, v: mx.Array, m: mx.Array) => mx.Array> = {
  core: (q, k, v, m) => mx.fused.attention(q, k, v, scale, m),
  softmax: (q, k, v, m) => mx.matmul(mx.fused.maskedSoftmax(mx.matmul(mx.multiply(q, scale), mx.swapaxes(k, -1, -2)), m), v),
  fast: (q, k, v, m) => mx.fast.scaledDotProductAttention(q, k, v, { scale, mask: m }),
  dropout: (q, k, v, m) => mx.fused.attention(q, k, v, scale, m, { dropout: 0.1, key: mx.random.key(5) }),
};
const fn = attention[variant];
if (!fn) throw new Error(`attention-core: unknown variant ${variant}; choose from ${Object.keys(attention).join(', ')}`);

const [q, k, v, g] = [1, 2, 3, 4].map((s) => mx.random.normal([B, H, T, D], { key: mx.random.key(s) }));
// A padded batch: lengths from T down to T/4, as a [B, 1, 1, T] boolean mask (what the models pass).
const lengths = mx.array(Array.from({ length: B }, (_, i) => T - Math.floor((i * 3 * T) / (4 * B))));
const mask = mx.reshape(mx.less(mx.arange(T), mx.expandDims(lengths, 1)), [B, 1, 1, T]);
mx.eval(q, k, v, g, mask);
const step = mx.compile((a: mx.Array, bb: mx.Array, c: mx.Array) =>
  mx.grad((x: mx.Array, y: mx.Array, z: mx.Array) => mx.sum(mx.multiply(fn(x, y, z, mask), g)), [0, 1, 2])(a, bb, c) as mx.Array[]);

const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const wall: number[] = [];
const cpu: number[] = [];
for (let s = 0; s < steps + 3; s++) {
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  mx.tidy(() => { mx.eval(...step(q, k, v)); });
  if (s >= 3) { wall.push(Number(process.hrtime.bigint() - t0) / 1e6); cpu.push(cpuNow() - c0); }
}
console.log(JSON.stringify({ ms: median(wall), cpuMs: median(cpu) }));
