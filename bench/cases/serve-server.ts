// Child of bench/serve.ts: the scoring server of `mlx-train serve` on loopback, with the quick preset's
// BERT-tiny (maxLength 64) as the config builds it (serving cost does not depend on trained weights).
// Prints `{"url": …}` once listening, then a memory sample line every `sampleMs`
// (`{"sample": {tMs, rssMb, activeMb, cacheMb}}`), and on SIGTERM the batcher's stats as the last line.
// Args: maxBatchRows maxWaitMs sampleMs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mx, Trainer } from '../../src/index.js';
import type { ClassifierModule } from '../../src/trainer/evaluate.js';
import { createPredictor } from '../../src/serve/predictor.js';
import { startScoringServer } from '../../src/serve/server.js';

const maxBatchRows = Number(process.argv[2] ?? 32);
const maxWaitMs = Number(process.argv[3] ?? 2);
const sampleMs = Number(process.argv[4] ?? 1000);

const dir = mkdtempSync(join(tmpdir(), 'mlxt-bench-serve-'));
const trainer = new Trainer({ preset: 'quick', set: [`outputDir=${join(dir, 'out')}`, 'tracking.enabled=false', `data.cacheDir=${join(dir, 'cache')}`], log: () => {} });
const predictor = createPredictor({ model: trainer.model as ClassifierModule, data: trainer.data }, { maxBatchRows, maxWaitMs });
const server = await startScoringServer({ predictor, port: 0, version: 'bench', log: (m) => process.stderr.write(`${m}\n`) });
const started = performance.now();
const sample = () => {
  const s = { tMs: Math.round(performance.now() - started), rssMb: process.memoryUsage().rss / 2 ** 20, activeMb: mx.getActiveMemory() / 2 ** 20, cacheMb: mx.getCacheMemory() / 2 ** 20 };
  process.stdout.write(`${JSON.stringify({ sample: s })}\n`);
};
process.stdout.write(`${JSON.stringify({ url: server.url, inputColumns: predictor.inputColumns })}\n`);
const timer = setInterval(sample, sampleMs);
process.once('SIGTERM', async () => {
  clearInterval(timer);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ stats: predictor.stats })}\n`);
  process.exit(0);
});
