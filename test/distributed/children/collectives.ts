// A rank of the collectives test: joins the ring, runs each op on rank-dependent inputs, and writes
// what it got (as plain lists) to $OUT_DIR/rank-<r>.json for the test to check.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mx } from '../../../src/index.js';
import * as dist from '../../../src/distributed/index.js';
import { recvLike } from '../../../src/distributed/ops.js';

const group = dist.init({ strict: true, backend: 'ring' });
const r = group.rank();
const n = group.size();
const x = mx.array([[r + 1, 2 * r], [10 - r, r * r]], { dtype: 'float32' });
const sum = dist.allSum(x, { group });
const gathered = dist.allGather(mx.array([r, r + 0.5], { dtype: 'float32' }), { group });
const maxed = dist.allMax(x, { group });
const mined = dist.allMin(x, { group });
const ints = dist.allSum(mx.array([r, 1], { dtype: 'int32' }), { group });
dist.evalCollective([sum, gathered, maxed, mined, ints]);
// Point to point around the ring: send to the right neighbour, receive from the left one.
const right = (r + 1) % n;
const left = (r + n - 1) % n;
const payload = mx.array([100 * r, 100 * r + 1, 100 * r + 2], { dtype: 'float32' });
let received: number[];
if (r % 2 === 0) {
  dist.evalCollective([dist.send(payload, right, { group })]);
  const got = dist.recv([3], 'float32', left, { group });
  dist.evalCollective([got]);
  received = got.toList() as number[];
} else {
  const got = recvLike(payload, left, { group });
  dist.evalCollective([got]);
  dist.evalCollective([dist.send(payload, right, { group })]);
  received = got.toList() as number[];
}
// MLX's ring backend cannot split groups; the error must arrive as a JS error, not a crash.
let splitError = '';
try {
  group.split(0);
} catch (err) {
  splitError = `${(err as Error).name}: ${(err as Error).message}`;
}
writeFileSync(
  join(process.env.OUT_DIR!, `rank-${r}.json`),
  JSON.stringify({ rank: r, size: n, isMain: dist.isMainProcess(), worldSize: dist.worldSize(), input: x.toList(), sum: sum.toList(), gathered: gathered.toList(), gatheredShape: gathered.shape, max: maxed.toList(), min: mined.toList(), ints: ints.toList(), intsDtype: ints.dtype, received, splitError }),
);
