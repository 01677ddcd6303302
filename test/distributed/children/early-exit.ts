// The dead-peer check: rank 1 joins the ring and then leaves (exit code $EXIT_CODE, default 0) — or, with
// PEER=stall, stays alive but silent — without taking part in the all-sums rank 0 then waits on.
// Rank 0 must fail with a clear error within a bounded time, not hang.
import * as mx from '../../../src/core/index.js';
import * as dist from '../../../src/distributed/index.js';

const group = dist.init({ strict: true, backend: 'ring' });
if (group.rank() === 1) {
  if (process.env.PEER === 'stall') {
    process.stderr.write('rank 1 stalling\n');
    setInterval(() => {}, 1000);
  } else {
    process.stderr.write('rank 1 leaving early\n');
    process.exit(Number(process.env.EXIT_CODE ?? 0));
  }
} else {
  await new Promise((r) => setTimeout(r, 500));
  const big = mx.ones([1 << 20], 'float32');
  for (let i = 0; i < 3; i++) {
    try {
      dist.evalCollective([dist.allSum(big, { group })], { label: `all-sum ${i}` });
      process.stderr.write(`all-sum ${i} returned\n`);
    } catch (err) {
      process.stderr.write(`caught: ${(err as Error).message}\n`);
      process.exit(3);
    }
  }
  process.stderr.write('rank 0 finished without noticing\n');
}
