// A training stand-in in its own process: logs one train_loss point every `intervalMs` to the same store
// and prints `logged <step> <epoch ms>` after each commit, so the test can time what the browser shows.
import { TrackingStore } from '../../../src/tracking/index.js';

const [uri, runId, firstStep, count, intervalMs] = process.argv.slice(2);
const store = new TrackingStore(uri);
for (let i = 0; i < Number(count); i++) {
  await new Promise((r) => setTimeout(r, Number(intervalMs)));
  const step = Number(firstStep) + i;
  await store.logMetric(runId, 'train_loss', 0.5 / step, { step });
  process.stdout.write(`logged ${step} ${Date.now()}\n`);
}
await store.close();
