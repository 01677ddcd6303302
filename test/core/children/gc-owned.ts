// Child process for lifetime.test.ts (run with --expose-gc): arrays that leave every scope's care
// (made outside one, returned from the outermost, kept, or the placeholders a transform passes to the
// traced function) must be freed once their wrappers are collected. Prints the live handle counts.
import { mx } from '../../../src/index.js';
import { native } from '../../../src/core/binding.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));  // FinalizationRegistry callbacks run from the event loop
  }
};
const lossAndGrad = mx.valueAndGrad((w: mx.Array) => mx.sum(mx.multiply(w, w)));
const addOne = mx.compile((a: mx.Array) => mx.add(a, 1));
const w = mx.ones([4]);
// Warm the compile cache first: it holds its own traced arrays for as long as the function lives.
addOne(w);
await settle();
const counts: Record<string, number> = { base: native.liveHandles() };

function transformsOutside(): void {
  for (let i = 0; i < 200; i++) {
    lossAndGrad(w);
    addOne(w);
    mx.grad((v: mx.Array) => mx.sum(v))(w);
  }
}
transformsOutside();
await settle();
counts.transforms = native.liveHandles();

function escaping(): void {
  for (let i = 0; i < 200; i++) {
    mx.tidy(() => mx.add(mx.ones([4]), 1));
    mx.tidy(() => mx.tidy(() => [mx.ones([2]), { b: mx.zeros([2]) }]));
    mx.tidy(() => {
      mx.keep(mx.ones([3]));
    });
  }
}
escaping();
counts.escapingHeld = native.liveHandles();
await settle();
counts.escaping = native.liveHandles();
console.log(JSON.stringify(counts));
