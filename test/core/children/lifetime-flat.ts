// Child process for lifetime.test.ts: a loop making 256 KB temporaries and never disposing them, awaiting
// now and then like a training loop does. Prints JSON {samples: rss MB}; exits 3 if RSS passes a ceiling
// (a leak would reach many GB; stop long before that).
import { mx } from '../../../src/index.js';

const steps = Number(process.argv[2] ?? 20_000);
const ceilingMb = 1500;
const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;
const base = mx.ones([65536]);
const samples: number[] = [];
for (let i = 0; i <= steps; i++) {
  const y = mx.multiply(mx.add(base, 1), 2);
  mx.eval(y);
  if (i % 100 === 0) await new Promise((r) => setImmediate(r));
  if (i % (steps / 10) === 0) samples.push(rssMb());
  if (rssMb() > ceilingMb) {
    console.log(JSON.stringify({ samples, aborted: i }));
    process.exit(3);
  }
}
console.log(JSON.stringify({ samples, allocatedMb: (steps * 2 * 65536 * 4) / 2 ** 20 }));
