// One rank of bench/distributed.ts. MODE=allreduce: times all-sums of float32 buffers of a few sizes.
// MODE=train: times data-parallel SGD steps of a small MLP at a fixed global batch (each rank takes
// its shard). Rank 0 prints one JSON line with the figures.
import * as mx from '../src/core/index.js';
import * as optim from '../src/optim/index.js';
import * as dist from '../src/distributed/index.js';

const group = dist.getDefaultGroup();
const [rank, size] = [group.rank(), group.size()];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const report = (value: unknown) => rank === 0 && process.stdout.write(`${JSON.stringify(value)}\n`);

if (process.env.MODE === 'allreduce') {
  const rows = [];
  for (const bytes of [4 << 10, 256 << 10, 4 << 20, 32 << 20]) {
    const x = mx.ones([bytes / 4], 'float32');
    mx.eval(x);
    const reps = bytes >= 4 << 20 ? 5 : 30;
    const times: number[] = [];
    for (let i = 0; i < reps + 2; i++) {
      const t0 = performance.now();
      const s = dist.allSum(x, { group });
      dist.evalCollective([s]);
      if (i >= 2) times.push(performance.now() - t0);
      s.dispose();
    }
    const ms = median(times);
    rows.push({ bytes, ms, mbPerS: bytes / 1e6 / (ms / 1000) });
  }
  report({ mode: 'allreduce', size, rows });
} else {
  const globalBatch = 1024;
  const [dIn, dHidden, dOut] = [256, 1024, 16];
  const steps = 20;
  mx.random.seed(0);
  const params: Record<string, mx.Array> = {
    w1: mx.multiply(mx.random.normal([dIn, dHidden]), 0.05),
    w2: mx.multiply(mx.random.normal([dHidden, dOut]), 0.05),
  };
  const x = mx.random.normal([globalBatch, dIn]);
  const y = mx.random.normal([globalBatch, dOut]);
  const take = mx.array(dist.shardIndices(globalBatch, rank, size), { dtype: 'int32' });
  const [xb, yb] = [mx.take(x, take, 0), mx.take(y, take, 0)];
  mx.eval(params.w1, params.w2, xb, yb);
  const loss = (p: Record<string, mx.Array>, a: mx.Array, b: mx.Array) => mx.mean(mx.square(mx.subtract(mx.matmul(mx.maximum(mx.matmul(a, p.w1), 0), p.w2), b)));
  const vg = mx.valueAndGrad(loss);
  const opt = new optim.SGD({ learningRate: 0.01 });
  const times: number[] = [];
  for (let i = 0; i < steps + 3; i++) {
    const t0 = performance.now();
    const [l, grads] = vg(params, xb, yb);
    opt.update(params, dist.averageGradients(grads, group));
    dist.evalCollective([params.w1, params.w2]);
    mx.dispose([l, grads]);
    if (i >= 3) times.push(performance.now() - t0);
  }
  const ms = median(times);
  report({ mode: 'train', size, globalBatch, msPerStep: ms, examplesPerS: globalBatch / (ms / 1000) });
}
