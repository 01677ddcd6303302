// Child of bench/trainer-rss.ts: Trainer.fit of a BERT-tiny (2 layers, hidden 128) on a synthetic CSV for
// a fixed number of optimizer steps, with everything a normal run does (per-epoch evaluation and
// checkpoints, tracking to a temp SQLite store, the progress display, the memory profiler, the end-of-run
// report), sampling process RSS and MLX active/cache memory every `every` steps from a callback.
// Prints one JSON line. Args: steps every.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mx, Trainer } from '../../src/index.js';

const steps = Number(process.argv[2] ?? 2000);
const every = Number(process.argv[3] ?? 20);
const BATCH = 8;
const STEPS_PER_EPOCH = 50;

const dir = mkdtempSync(join(tmpdir(), 'mlxt-bench-rss-'));
try {
  let s = 11;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const words = Array.from({ length: 400 }, (_, i) => `w${i.toString(36)}`);
  // 80% of the rows train: STEPS_PER_EPOCH full batches per epoch; texts of varied length (padding varies).
  const rows = Math.round((STEPS_PER_EPOCH * BATCH) / 0.8);
  const lines = ['id,label,text'];
  for (let i = 0; i < rows; i++) {
    const n = 4 + Math.floor(rand() * 24);
    lines.push(`${i},${i % 3 === 0 ? 'a' : 'b'},${Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ')}`);
  }
  writeFileSync(join(dir, 'train.csv'), `${lines.join('\n')}\n`);
  const samples: { step: number; rssMb: number; activeMb: number; cacheMb: number }[] = [];
  const sample = (step: number) => samples.push({ step, rssMb: process.memoryUsage().rss / 2 ** 20, activeMb: mx.getActiveMemory() / 2 ** 20, cacheMb: mx.getCacheMemory() / 2 ** 20 });
  const started = performance.now();
  const trainer = Trainer.fromConfig(
    {
      data: { trainPath: join(dir, 'train.csv'), labelColumn: 'label', idColumn: 'id', template: '{text}', vocabSize: 600, validationSplit: 0.2, cacheDir: join(dir, 'cache') },
      model: { architecture: 'bert', size: 'tiny', maxLength: 32, pooling: 'mean', dropout: 0.1 },
      training: { epochs: Math.ceil(steps / STEPS_PER_EPOCH), batchSize: BATCH, maxBatchSize: BATCH, dynamicBatching: false, learningRate: 3e-4, logEverySteps: 10, keepCheckpoints: 2 },
      tracking: { enabled: true, trackingUri: `sqlite:///${join(dir, 'mlflow.db')}`, artifactLocation: join(dir, 'artifacts'), experimentName: 'bench-trainer-rss' },
      outputDir: join(dir, 'out'),
    },
    {
      log: () => {},
      progress: false,
      callbacks: [
        {
          onStepEnd: (state) => {
            if (state.globalStep % every === 0) sample(state.globalStep);
          },
        },
      ],
    },
  );
  const result = await trainer.fit();
  console.log(JSON.stringify({ steps: result.state.globalStep, seconds: (performance.now() - started) / 1000, samples }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
