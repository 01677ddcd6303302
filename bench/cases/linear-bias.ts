// nn.Linear's forward + backward at MiniLM-L6 shapes (x [16, 64, 384]; 384→384 and 384→1536, 1536→384),
// with the fused bias kernels (matmul, then mx.fused.biasAdd in place; the bias gradient by
// mx.fused.biasGrad) against the stock path (addmm: a single-threaded broadcast copy of the bias, and an
// axis-0 Sum), alternating in one process. Prints one JSON line: medians of wall and process-CPU ms per
// call, for the fused and the stock path, per shape.
// Run: node --import ./scripts/register-ts.mjs bench/cases/linear-bias.ts [reps]
import { mx, nn } from '../../src/index.js';

const reps = Number(process.argv[2] ?? 15);
const cpuNow = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const shapes: [number, number][] = [[384, 384], [384, 1536], [1536, 384]];
const result: Record<string, { fusedMs: number; stockMs: number; fusedCpuMs: number; stockCpuMs: number }> = {};
for (const [inDims, outDims] of shapes) {
  const layer = new nn.Linear(inDims, outDims);
  const x = mx.random.normal([16, 64, inDims], { key: mx.random.key(1) });
  const cot = mx.random.normal([16, 64, outDims], { key: mx.random.key(2) });
  mx.eval(layer.parameters(), x, cot);
  const vg = nn.valueAndGrad(layer, (a: mx.Array) => mx.sum(mx.multiply(layer.forward(a), cot)));
  const t: Record<'on' | 'off', { wall: number[]; cpu: number[] }> = { on: { wall: [], cpu: [] }, off: { wall: [], cpu: [] } };
  for (let r = 0; r < reps + 1; r++) {
    for (const side of ['on', 'off'] as const) {
      mx.setFusedKernelsEnabled(side === 'on');
      mx.tidy(() => {
        const c0 = cpuNow();
        const t0 = process.hrtime.bigint();
        const [v, g] = vg(x);
        mx.eval(v, g);
        if (r > 0) { t[side].wall.push(Number(process.hrtime.bigint() - t0) / 1e6); t[side].cpu.push(cpuNow() - c0); }
      });
    }
  }
  result[`${inDims}->${outDims}`] = { fusedMs: median(t.on.wall), stockMs: median(t.off.wall), fusedCpuMs: median(t.on.cpu), stockCpuMs: median(t.off.cpu) };
}
mx.setFusedKernelsEnabled(undefined);
console.log(JSON.stringify(result));
