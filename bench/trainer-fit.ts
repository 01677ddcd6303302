/**
 * Full Trainer.fit throughput on a BERT-mini-shaped classifier (4 layers, hidden 256, 4 heads, FFN 1024,
 * batch 32 × seq 128, AdamW, clipping at 1.0, compiled step, no dropout) against two hand-written loops of
 * the same model, optimizer, clipping, schedule and batch shapes: one with our nn and optim (no Trainer)
 * and one in Python MLX (bench/reference/trainer_loop.py). Each contender runs in a fresh process per
 * trial, contenders alternating. The Trainer tracks to a temp SQLite store and logs metrics (and memory)
 * every step, so its overhead over the bare Node loop is the cost of the data pipeline, callbacks,
 * tracking and bookkeeping per step. Steps are timed end to end after the warm-up ones (tracing and
 * compiling). Python MLX gets the system OpenBLAS, as the addon does (bench/lib/python-openblas.ts).
 * Goals: the Trainer's overhead ≤ 3% of the bare loop's step time; Trainer ≥ 1.0× Python MLX samples/s.
 * Both Node contenders run the same graph: batch [32, 128] int32 ids and mask, the same compiled
 * forward + backward + clip + AdamW step, the same loss, schedule and clipping (checked: the Trainer's
 * TrainStep.run and the bare step cost the same CPU in one process on identical batches). Process CPU per
 * step still swings ±25% between processes because OpenBLAS's worker thread spin-waits (sched_yield)
 * between GEMMs when it has a free core, so compare CPU figures from the same trial, and wall figures at
 * low load (with OPENBLAS_NUM_THREADS=1 the two contenders' CPU per step agree within 1%).
 * Run: node --import ./scripts/register-ts.mjs bench/trainer-fit.ts [--trials N] [--steps N] [--warm N] [--batch 32] [--seq 128]
 */
import { argValue, fmt, median, nodeCase, pythonCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';
import { pythonMlxWithOpenBlas } from './lib/python-openblas.js';
import { chooseOpenBlasCore } from '../src/native/load.js';

interface Result {
  stepMs: number;
  stepCpuMs: number;
  samplesPerSec: number;
  fitSeconds: number;
  /** Trainer only: the loop's own step time (batch in hand → step read back), without callbacks and data. */
  innerStepMs?: number;
}

export function run(trials = argValue('trials', 2)): string {
  const batch = argValue('batch', 32);
  const seq = argValue('seq', 128);
  const warm = argValue('warm', 2);
  const steps = argValue('steps', 6);
  const args = [String(batch), String(seq), String(warm), String(steps)];
  const withOpenBlas = pythonMlxWithOpenBlas();
  if (!withOpenBlas) throw new Error('bench trainer-fit: no system OpenBLAS found to give Python MLX the BLAS the addon uses');
  const core = chooseOpenBlasCore();
  const header = describeMachine();
  const contenders = [
    nodeCase('trainer', 'trainer-fit.ts', ['trainer', ...args]),
    nodeCase('node-loop', 'trainer-fit.ts', ['loop', ...args]),
    pythonCase('python-mlx', 'trainer_loop.py', args, { PYTHONPATH: withOpenBlas, OPENBLAS_CORETYPE: core }),
  ];
  const results = runTrials<Result>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const m = (name: string, k: keyof Result) => median(results.get(name)!.map((r) => r[k] ?? NaN));
  const pct = (a: number, b: number) => `${a >= b ? '+' : ''}${fmt((a / b - 1) * 100, 1)}%`;
  const row = (label: string, k: keyof Result, digits = 0) => [label, fmt(m('trainer', k), digits), fmt(m('node-loop', k), digits), fmt(m('python-mlx', k), digits)];
  const overheadWall = m('trainer', 'stepMs') / m('node-loop', 'stepMs') - 1;
  const overheadCpu = m('trainer', 'stepCpuMs') / m('node-loop', 'stepCpuMs') - 1;
  const vsPython = m('trainer', 'samplesPerSec') / m('python-mlx', 'samplesPerSec');
  const vsPythonCpu = m('python-mlx', 'stepCpuMs') / m('trainer', 'stepCpuMs');
  const perTrial = (name: string) => results.get(name)!.map((r) => fmt(r.stepMs, 0)).join(' / ');
  return [
    `### Trainer.fit: BERT-mini classifier, batch ${batch} × seq ${seq}, AdamW + clipping, compiled (${trials} trial(s) in fresh processes, ${steps} timed steps after ${warm} warm-up; medians; MLX on OpenBLAS${core ? ` ${core}` : ''})`,
    '',
    header,
    '',
    table(['', 'Trainer.fit (tracking, logging every step)', 'Node hand-written loop (our nn)', 'Python MLX hand-written loop'], [
      row('step ms (wall)', 'stepMs'),
      row('step ms (process CPU, all threads)', 'stepCpuMs'),
      row('samples/s (wall)', 'samplesPerSec', 2),
      ['Trainer step alone ms (its stepTimeMs: no callbacks, no data wait)', fmt(median(results.get('trainer')!.map((r) => r.innerStepMs ?? NaN)), 0), '—', '—'],
      row('whole run s (setup, steps, eval, checkpoint)', 'fitSeconds', 1),
    ]),
    '',
    `Per-trial step ms (wall): Trainer ${perTrial('trainer')}; Node loop ${perTrial('node-loop')}; Python MLX ${perTrial('python-mlx')}.`,
    '',
    `**Trainer overhead vs the bare Node loop**: ${pct(m('trainer', 'stepMs'), m('node-loop', 'stepMs'))} of step time by wall clock, ${pct(m('trainer', 'stepCpuMs'), m('node-loop', 'stepCpuMs'))} by process CPU (goal ≤ 3%: ${overheadCpu <= 0.03 && overheadWall <= 0.03 ? 'met' : overheadCpu <= 0.03 ? 'met by CPU, not by wall clock' : 'NOT met'}).`,
    `**Trainer vs Python MLX**: ${fmt(vsPython)}× its samples/s by wall clock, ${fmt(vsPythonCpu)}× by CPU per step (goal ≥ 1.0×: ${vsPython >= 1 ? 'met' : vsPythonCpu >= 1 ? 'met by CPU, not by wall clock' : 'NOT met'}).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
