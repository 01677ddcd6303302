// Child process for lifetime.test.ts: arrays made inside mx.tidy are the scope's to free, so V8 must not
// count them as external memory (counting them set off a full collection ~3 times per training step);
// what leaves the scope (returned, kept) must be counted, and the net change of a scope that swaps
// "weights" for new ones must not spike. Prints JSON figures.
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { mx } from '../../../src/index.js';
import { native } from '../../../src/core/binding.js';

const external = () => native.v8ExternalMemory();
const MB = 2 ** 20;
const mb = (n: number) => Math.round(n / MB);

// 1. Inside a scope: 256 MB of temporaries do not show; the returned array shows once the scope closes.
const base = external();
let insideDelta = 0;
const kept = mx.tidy(() => {
  const temps = Array.from({ length: 8 }, (_, i) => mx.full([8 * 1024 * 1024], i, 'float32'));  // 8 × 32 MB
  mx.eval(...temps);
  insideDelta = external() - base;
  return mx.full([4 * 1024 * 1024], 1, 'float32');  // 16 MB, handed out
});
const afterReturn = external() - base;
// keep() inside a nested scope: counted when the outermost scope closes.
let keptNested: mx.Array | undefined;
mx.tidy(() => {
  mx.tidy(() => {
    keptNested = mx.keep(mx.zeros([2 * 1024 * 1024], 'float32'));  // 8 MB
  });
});
const afterKeep = external() - base;
// Outside any scope, arrays count at once, and dispose takes them off.
const outside = mx.zeros([4 * 1024 * 1024], 'float32');
const afterOutside = external() - base;
outside.dispose();
kept.dispose();
keptNested!.dispose();
const afterDispose = external() - base;

// 2. A training-like loop: each step makes 80 MB of activations and swaps 64 MB of weights for new
// ones, all inside one tidy like TrainStep.run. Count V8's full collections meanwhile.
let majors = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
});
obs.observe({ entryTypes: ['gc'] });
let weights = mx.zeros([16 * 1024 * 1024], 'float32');
mx.eval(weights);
const steps = 20;
for (let s = 0; s < steps; s++) {
  mx.tidy(() => {
    const acts = Array.from({ length: 10 }, (_, i) => mx.multiply(mx.full([2 * 1024 * 1024], i, 'float32'), 2));
    const next = mx.keep(mx.add(weights, mx.sum(mx.stack(acts.map((a) => mx.sum(a))))));
    weights.dispose();
    weights = next;
    mx.eval(weights);
  });
  await new Promise((r) => setImmediate(r));  // let incremental marking tasks run, as between real steps
}
await new Promise((r) => setTimeout(r, 50));
obs.disconnect();
const afterLoop = external() - base;
// A throwing scope: what it kept still counts, the rest never did.
let keptOnThrow: mx.Array | undefined;
try {
  mx.tidy(() => {
    keptOnThrow = mx.keep(mx.zeros([2 * 1024 * 1024], 'float32'));  // 8 MB
    mx.zeros([8 * 1024 * 1024], 'float32');
    throw new Error('boom');
  });
} catch {
  // expected
}
const afterThrow = external() - base;
console.log(JSON.stringify({
  insideMb: mb(insideDelta), afterReturnMb: mb(afterReturn), afterKeepMb: mb(afterKeep), afterOutsideMb: mb(afterOutside), afterDisposeMb: mb(afterDispose),
  majors, steps, afterLoopMb: mb(afterLoop), afterThrowMb: mb(afterThrow),
}));
