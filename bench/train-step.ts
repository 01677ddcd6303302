/**
 * One training step of a BERT-mini-shaped classifier (4 layers, hidden 256, 4 heads, FFN 1024, seq 128,
 * batch 32, dropout 0.1, AdamW) built with mlx-train's nn and optim, against the same model in Python
 * mlx.nn + mlx.optimizers, each trial in a fresh process, contenders alternating. Reports samples/s
 * uncompiled (split into forward / backward / optimizer) and with the whole step compiled. Python MLX
 * runs with the system OpenBLAS swapped in (bench/lib/python-openblas.ts) and the OpenBLAS kernel our
 * loader picks, so both sides use the same BLAS (the wheel's reference BLAS is several times slower).
 * PyTorch on the CPU (bench/reference/train_step_torch.py, eager, no compiled figures) is the third
 * contender, held to the same 2 threads: torch.set_num_threads(2) + 1 inter-op thread, where MLX runs
 * 2 OpenBLAS threads for matmuls plus its single stream thread for every other op. The Node model's exact
 * GELU is nn.gelu, which for float32 runs our fused, multi-threaded mx.fused.gelu primitive (forward and
 * gradient); Python keeps stock mlx.nn.gelu, since the comparison is with what Python MLX users get.
 * Run: node --import ./scripts/register-ts.mjs bench/train-step.ts [--trials N] [--batch 32] [--seq 128] [--steps 3]
 * Where the uncompiled step's time goes, op family by op family: bench/cases/train-step-profile.ts.
 */
import { argValue, fmt, median, nodeCase, pythonCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';
import { pythonMlxWithOpenBlas } from './lib/python-openblas.js';
import { chooseOpenBlasCore } from '../src/native/load.js';
import { measureGemmGflops } from '../src/system/blas.js';
import { encoderTrainingFlops } from './lib/flops.js';

interface Result {
  forwardMs: number; backwardMs: number; optimizerMs: number; stepMs: number; compiledStepMs: number; samplesPerSec: number; compiledSamplesPerSec: number;
  stepCpuMs: number; compiledStepCpuMs: number;  // PyTorch prints null for the compiled ones
}

export function run(trials = argValue('trials', 3)): string {
  const batch = argValue('batch', 32);
  const seq = argValue('seq', 128);
  const steps = argValue('steps', 3);
  const args = [String(batch), String(seq), String(steps)];
  const header = describeMachine();
  const withOpenBlas = pythonMlxWithOpenBlas();
  if (!withOpenBlas) throw new Error('bench train-step: no system OpenBLAS found to give Python MLX the BLAS the addon uses');
  const core = chooseOpenBlasCore();
  const contenders = [
    nodeCase('node', 'train-step.ts', args),
    pythonCase('python-mlx', 'train_step.py', args, { PYTHONPATH: withOpenBlas, OPENBLAS_CORETYPE: core }),
    pythonCase('pytorch', 'train_step_torch.py', args, { OPENBLAS_CORETYPE: undefined, OMP_NUM_THREADS: '2' }),
  ];
  // MFU: useful GFLOP per step (BERT-mini: 4 × 256, FFN 1024) over doctor's fp32 GEMM peak, measured here.
  const peak = measureGemmGflops(1024, 5).gflops;
  const gflop = encoderTrainingFlops({ layers: 4, hidden: 256, ffn: 1024 }, Array(batch).fill(seq)) / 1e9;
  const results = runTrials<Result>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const node = results.get('node')!;
  const py = results.get('python-mlx')!;
  const torch = results.get('pytorch')!;
  const m = (rs: Result[], k: keyof Result) => (rs.some((r) => r[k] == null) ? NaN : median(rs.map((r) => r[k])));
  const cell = (x: number, digits: number) => (Number.isNaN(x) ? '—' : fmt(x, digits));
  const ratio = (a: number, b: number) => (Number.isNaN(a / b) ? '—' : `${fmt(a / b)}×`);
  const row = (label: string, k: keyof Result, digits = 0) => [
    label, cell(m(node, k), digits), cell(m(py, k), digits), cell(m(torch, k), digits), ratio(m(node, k), m(py, k)), ratio(m(node, k), m(torch, k)),
  ];
  const pct = (x: number) => (Number.isNaN(x) ? '—' : `${fmt(x, 0)}%`);
  const mfu = (label: string, k: keyof Result) => [label, ...[node, py, torch].map((rs) => pct((100 * gflop * 1000) / m(rs, k) / peak)), '', ''];
  return [
    `### Training step: BERT-mini classifier, batch ${batch} × seq ${seq}, AdamW (${trials} trial(s) in fresh processes, ${steps} timed steps each; medians, wall clock; both MLX on OpenBLAS${core ? ` ${core}` : ''}, PyTorch on 2 threads; ${fmt(gflop, 1)} useful GFLOP per step, fp32 GEMM peak ${fmt(peak, 1)} GFLOP/s)`,
    '',
    header,
    '',
    table(['', 'Node (mlx-train nn)', 'Python mlx.nn', 'PyTorch CPU (eager)', 'Node / Python MLX', 'Node / PyTorch'], [
      row('forward ms', 'forwardMs'),
      row('backward ms (value+grad − forward)', 'backwardMs'),
      row('optimizer ms (AdamW update + eval)', 'optimizerMs'),
      row('uncompiled step ms', 'stepMs'),
      row('uncompiled samples/s', 'samplesPerSec', 2),
      row('compiled step ms', 'compiledStepMs'),
      row('compiled samples/s', 'compiledSamplesPerSec', 2),
      row('uncompiled step, process CPU ms (all threads)', 'stepCpuMs'),
      row('compiled step, process CPU ms (all threads)', 'compiledStepCpuMs'),
      mfu('uncompiled step MFU', 'stepMs'),
      mfu('compiled step MFU', 'compiledStepMs'),
    ]),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
