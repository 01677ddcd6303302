// One rank of the data-parallel check: k SGD steps on a tiny linear model with this rank's shard of each
// step's batch, gradients averaged over the group. Started alone it is the 1-process baseline (whole
// batch). Writes the final weights and the step losses to $OUT_DIR/sgd-<size>-<rank>.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../../../src/core/index.js';
import * as optim from '../../../src/optim/index.js';
import * as dist from '../../../src/distributed/index.js';

type Enc = { dtype: string; shape: number[]; data: number[] };
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/distributed.json', import.meta.url), 'utf8')).cases[0];
const decode = (e: Enc) => mx.reshape(mx.array(e.data, { dtype: 'float32' }), e.shape);

const group = dist.getDefaultGroup();
const [rank, size] = [group.rank(), group.size()];
const x = decode(fixture.x);
const y = decode(fixture.y);
const rows = dist.shardIndices(x.shape[1], rank, size);
const take = mx.array(rows, { dtype: 'int32' });

const params: Record<string, mx.Array> = { w: decode(fixture.w0), b: decode(fixture.b0) };
const lossFn = (p: Record<string, mx.Array>, xb: mx.Array, yb: mx.Array) => mx.mean(mx.square(mx.subtract(mx.add(mx.matmul(xb, p.w), p.b), yb)));
const valueAndGrad = mx.valueAndGrad(lossFn);
const optimizer = new optim.SGD({ learningRate: fixture.learningRate });
const losses: number[] = [];
for (let t = 0; t < fixture.steps; t++) {
  const xb = mx.take(mx.take(x, t, 0), take, 0);
  const yb = mx.take(mx.take(y, t, 0), take, 0);
  const [loss, grads] = valueAndGrad(params, xb, yb);
  const averaged = dist.averageGradients(grads, group, { flatten: process.env.FLATTEN !== '0', evaluate: true });
  optimizer.update(params, averaged);
  const meanLoss = mx.divide(dist.allSum(loss, { group }), size);
  dist.evalCollective([params.w, params.b, meanLoss]);
  losses.push(meanLoss.item() as number);
}
writeFileSync(join(process.env.OUT_DIR!, `sgd-${size}-${rank}.json`), JSON.stringify({ rank, size, rows: rows.length, w: params.w.toList(), b: params.b.toList(), losses }));
