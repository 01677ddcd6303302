/**
 * One fine-tuning mode of all-MiniLM-L6-v2 on the embedded Titanic data, run by bench/finetune-lora.ts in
 * a fresh process: `--mode full|lora|qlora` picks configs/examples/minilm-<mode>.yaml; `--epochs N` and
 * `--rows N` (a prefix of the CSV) shrink the run; `--seed N` sets training.seed; `--folds K --fold I`
 * trains only fold I of a stratified K-fold split (so each fold is its own process and the modes are
 * compared on the same rows); `--set key=value` (repeatable) overrides any other config key. Prints one JSON line: validation accuracy, MLX peak
 * memory (setup and training apart), fit() wall and process CPU time, training samples/s and the
 * trainable parameter count.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { join } from 'node:path';
import { mx, Trainer } from '../../src/index.js';
import { TITANIC_TRAIN_PATH } from '../../src/data/dataset.js';
import { root } from '../lib/harness.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const mode = arg('mode') ?? 'full';
if (!['full', 'lora', 'qlora'].includes(mode)) throw new Error(`finetune-lora: --mode must be full, lora or qlora but received ${mode}`);
const pretrained = arg('model');
if (!pretrained) throw new Error('finetune-lora: --model <all-MiniLM-L6-v2 folder> is required');
const dir = mkdtempSync(join(tmpdir(), `mlx-train-${mode}-`));
const sets = [`model.pretrained=${pretrained}`, `outputDir=${dir}/out`, 'tracking.enabled=false', `data.cacheDir=${dir}/cache`];
if (arg('epochs')) sets.push(`training.epochs=${arg('epochs')}`);
// Another seed also draws another train/validation split: a second sample of the same comparison.
if (arg('seed')) sets.push(`training.seed=${arg('seed')}`);
const folds = arg('folds');
const fold = arg('fold');
if ((folds === undefined) !== (fold === undefined)) throw new Error('finetune-lora: --folds K and --fold I go together');
if (folds) sets.push(`data.kFolds=${folds}`);
sets.push(...process.argv.flatMap((a, i) => (a === '--set' && process.argv[i + 1] ? [process.argv[i + 1]] : [])));
const rows = arg('rows');
if (rows) {
  const lines = readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n');
  writeFileSync(join(dir, 'train.csv'), `${lines.slice(0, Number(rows) + 1).join('\n')}\n`);
  sets.push(`data.trainPath=${join(dir, 'train.csv')}`);
}

let trained = 0;
let trainSeconds = 0;
// Steady state, timed as the Python references of bench/finetune-hf.ts time theirs: from the end of the
// first optimizer step to the end of the last, wall clock and process CPU (data loading between steps
// included, evaluation after the last step not).
const marks: { wall: number; cpu: number; samples: number; tokens: number; majorGcs: number }[] = [];
// V8's full collections while training: each one marks the whole JS heap on a core the GEMMs want.
let majorGcs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
}).observe({ entryTypes: ['gc'] });
const cpuNow = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
const trainer = new Trainer({
  file: join(root, 'configs', 'examples', `minilm-${mode}.yaml`),
  set: sets,
  log: (m) => process.stderr.write(`${m}\n`),
  // With a fold index the Trainer trains that one split instead of running the whole cross-validation.
  ...(fold !== undefined ? { fold: Number(fold) } : {}),
  progress: false,
  plots: false,
  callbacks: [{
    // Optimizer steps only (stepTimeMs), so evaluation and checkpoints do not dilute samples/s.
    onStepEnd: (s) => {
      trainSeconds += (s.lastStep?.stepTimeMs ?? 0) / 1000;
      trained += s.lastStep?.batchSize ?? 0;
      marks.push({ wall: performance.now() / 1000, cpu: cpuNow(), samples: s.lastStep?.batchSize ?? 0, tokens: s.lastStep?.tokens ?? 0, majorGcs });
    },
  }],
});
mx.resetPeakMemory();
const started = performance.now();
const cpuStart = process.cpuUsage();
const trainable = trainer.model.numTrainableParameters();
const total = trainer.model.numParameters();
// Setup (data, checkpoint load, quantization, adapters) and training peak separately: the first shows
// what quantizing saves on the weights, the second is dominated by activations.
const setupPeakMb = mx.getPeakMemory() / 2 ** 20;
mx.resetPeakMemory();
const result = await trainer.fit();
const trainPeakMb = mx.getPeakMemory() / 2 ** 20;
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuStart);
console.log(JSON.stringify({
  mode,
  fold: fold === undefined ? null : Number(fold),
  validationRows: trainer.data.split.validation.length,
  valAccuracy: result.metrics?.accuracy,
  // What fit() hands back: the checkpoint best on the monitored metric (val_loss by default), evaluated then.
  bestValAccuracy: result.restoredBest?.metrics?.accuracy ?? result.metrics?.accuracy,
  valLoss: result.metrics?.loss,
  valF1: result.metrics?.f1,
  peakMb: Math.max(setupPeakMb, trainPeakMb),
  setupPeakMb,
  trainPeakMb,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  trainSeconds,
  samplesPerSecond: trainSeconds > 0 ? trained / trainSeconds : NaN,
  steps: result.state.globalStep,
  ...steadyState(),
  trainable,
  total,
}));
rmSync(dir, { recursive: true, force: true });

function steadyState() {
  if (marks.length < 3) return {};
  const [first, last] = [marks[0], marks[marks.length - 1]];
  const timed = marks.slice(1);
  const seconds = last.wall - first.wall;
  return {
    timedSteps: timed.length,
    steadySamplesPerSecond: timed.reduce((n, m) => n + m.samples, 0) / seconds,
    msPerStep: (1000 * seconds) / timed.length,
    cpuSecondsPerStep: (last.cpu - first.cpu) / timed.length,
    majorGcsPerStep: (last.majorGcs - first.majorGcs) / timed.length,
  };
}
