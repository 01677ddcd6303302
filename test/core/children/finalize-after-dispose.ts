// Child process for lifetime.test.ts (run with --expose-gc): arrays disposed by hand, by tidy and not at
// all are dropped together and collected; each MLX array must be freed exactly once (a double free
// aborts the process, which the test sees as a signal).
import { mx } from '../../../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
for (let round = 0; round < 5; round++) {
  let arrays: mx.Array[] = [];
  for (let i = 0; i < 2000; i++) arrays.push(mx.ones([256]));
  for (let i = 0; i < arrays.length; i += 2) arrays[i].dispose();
  for (let i = 0; i < arrays.length; i += 4) arrays[i].dispose();  // second dispose: a no-op
  mx.tidy(() => {
    for (let i = 0; i < 1000; i++) mx.add(arrays[1], i);
  });
  arrays = [];
  gc();
  await new Promise((r) => setImmediate(r));  // FinalizationRegistry callbacks run from the event loop
  gc();
  await new Promise((r) => setImmediate(r));
}
console.log('ok');
