// Child of test/core/heap-pages.test.ts: minor page faults per step of a wide-FFN forward and backward
// whose 16 MB activations and gradients (~100 MB a step, more than MLX's buffer cache keeps) are freed
// and allocated again every step, as a training step's are; measured after 5 warm-up steps.
import { readFileSync } from 'node:fs';
import { mx, nn } from '../../../src/index.js';

const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const key = (i: number) => mx.random.key(i);
const x = mx.random.normal([1024, 384], { key: key(1) });
const w1 = mx.multiply(mx.random.normal([384, 4096], { key: key(2) }), 0.05);
const w2 = mx.multiply(mx.random.normal([4096, 384], { key: key(3) }), 0.05);
mx.eval(x, w1, w2);
const loss = (a: mx.Array, b: mx.Array) => mx.sum(mx.square(mx.matmul(nn.gelu(mx.matmul(x, a)), b)));
const grad = mx.valueAndGrad(loss, [0, 1]);
let start = 0;
for (let step = 0; step < 15; step++) {
  if (step === 5) start = minflt();
  mx.tidy(() => {
    const [l, g] = grad(w1, w2);
    mx.eval(l, g);
  });
  await new Promise((r) => setImmediate(r));
}
console.log(JSON.stringify({ faultsPerStep: (minflt() - start) / 10 }));
