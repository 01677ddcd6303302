/**
 * One contender of bench/quantized-compute.ts, in a fresh process: forward + input/adapter gradients of
 * the Linear layers of one all-MiniLM-L6-v2 encoder layer (384→384 ×4, 384→1536, 1536→384) at 4 bits
 * with rank-8 LoRA on top, for a batch of 16 × 64 tokens. `--compute quantized|dequantized` picks
 * QuantizedLinear's path; `--compute float` is the same layers unquantized (the fp32 LoRA reference).
 * Prints process CPU ms and wall ms per step (median of --steps after 2 warm-up steps).
 */
import { mx, nn } from '../../src/index.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const compute = arg('compute', 'dequantized');
const steps = Number(arg('steps', '10'));
mx.random.seed(0);
const shapes: [number, number][] = [[384, 384], [384, 384], [384, 384], [384, 384], [384, 1536], [1536, 384]];
const layers = shapes.map(([i, o]) => {
  const lin = new nn.Linear(i, o);
  const base = compute === 'float' ? lin : nn.QuantizedLinear.fromLinear(lin, { bits: 4, groupSize: 64, compute: compute as 'quantized' | 'dequantized' });
  return nn.LoRALinear.fromBase(base, { rank: 8, alpha: 16 });
});
const model = new nn.Sequential(...layers);
mx.eval(model.parameters());
const xs = shapes.map(([i]) => mx.random.normal([16, 64, i]));
const loss = (..._: mx.Array[]) => layers.reduce((acc, l, k) => mx.add(acc, mx.sum(mx.square(l.forward(xs[k])))), mx.array(0));
const step = nn.valueAndGrad(model, loss);
const cpu: number[] = [];
const wall: number[] = [];
for (let s = 0; s < steps + 2; s++) {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const [v, g] = step();
  mx.eval(v, g);
  const c = process.cpuUsage(c0);
  if (s >= 2) {
    cpu.push((c.user + c.system) / 1000);
    wall.push(performance.now() - w0);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(JSON.stringify({ compute, cpuMs: med(cpu), wallMs: med(wall) }));
