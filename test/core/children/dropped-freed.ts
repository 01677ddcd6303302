// Child process for lifetime.test.ts (run with --expose-gc): arrays that are only dropped must be freed
// once the GC has collected their handles and the finalizers have run, even when no op follows (no
// release may wait for a later op). Prints JSON figures.
import { mx } from '../../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = async (): Promise<void> => {
  gc();
  await new Promise((r) => setImmediate(r));  // FinalizationRegistry callbacks run from the event loop
  await new Promise((r) => setImmediate(r));
};
await settle();
const before = mx.getActiveMemory();
// 1,000 evaluated arrays of 64 KB (no multiple of any plausible release batch). Made in
// a function so that no frame of this module's top-level await keeps them reachable.
function make(): number {
  const arrays: mx.Array[] = [];
  for (let i = 0; i < 1000; i++) arrays.push(mx.full([16384], i, 'float32'));
  mx.eval(...arrays);
  return mx.getActiveMemory() - before;
}
const held = make();
await settle();
const after = mx.getActiveMemory() - before;
console.log(JSON.stringify({ held, after }));
