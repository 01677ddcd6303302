/**
 * fp32 matmul throughput: mlx-train vs NumPy and Python MLX, at 1024³ and BERT-sized shapes, in one run.
 * Python MLX runs as shipped (the mlx-cpu wheel's bundled reference BLAS) and with the addon's OpenBLAS
 * swapped in (bench/lib/python-openblas.ts). The 1024³ column doubles as the BLAS comparison:
 * reference vs OpenBLAS with its default kernel choice vs the kernel src/native/load.ts picks.
 * Goal: mlx-train ≥ 0.9× NumPy. Run: npm run bench -- matmul [--trials N]
 */
import { argValue, type Contender, fmt, median, nodeCase, pythonCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';
import { pythonMlxWithOpenBlas } from './lib/python-openblas.js';
import { chooseOpenBlasCore } from '../src/native/load.js';

/** BxMxKxN: 1024³; BERT-tiny projections over 32×128 tokens; attention scores for batch 64, 4 heads, T 128, d 64. */
export const SHAPES: Record<string, string> = {
  '1x1024x1024x1024': '1024 × 1024 × 1024',
  '1x4096x128x128': '4096 × 128 × 128 (QKV/out proj)',
  '1x4096x128x512': '4096 × 128 × 512 (FFN up)',
  '1x4096x512x128': '4096 × 512 × 128 (FFN down)',
  '256x128x64x128': '(64·4) × 128 × 64 × 128 (QKᵀ)',
};

type Result = Record<string, number> & { blas: string };

export function run(trials = argValue('trials', 3)): string {
  const specs = Object.keys(SHAPES);
  // For NumPy, OpenBLAS tuning variables meant for old builds only slow it down: clear them there.
  const clean = { OPENBLAS_CORETYPE: undefined, OPENBLAS_L2_SIZE: undefined };
  const autoCore = chooseOpenBlasCore() ?? 'default';
  const contenders: Contender[] = [
    nodeCase('mlx-train', 'matmul.ts', specs),
    nodeCase('mlx-train, OPENBLAS_CORETYPE=Prescott', 'matmul.ts', specs, { OPENBLAS_CORETYPE: 'Prescott' }),
    pythonCase('NumPy', 'matmul.py', ['numpy', ...specs], clean),
    pythonCase('Python MLX as shipped', 'matmul.py', ['mlx', ...specs], clean),
  ];
  const withOpenBlas = pythonMlxWithOpenBlas();
  if (withOpenBlas) {
    contenders.push(pythonCase('Python MLX + OpenBLAS, default kernel', 'matmul.py', ['mlx', ...specs], { ...clean, PYTHONPATH: withOpenBlas }));
    // Only for an OpenBLAS whose CPU detection load.ts does not trust (see chooseOpenBlasCore).
    if (autoCore !== 'default') {
      contenders.push(pythonCase(`Python MLX + OpenBLAS, OPENBLAS_CORETYPE=${autoCore}`, 'matmul.py', ['mlx', ...specs], { ...clean, OPENBLAS_CORETYPE: autoCore, PYTHONPATH: withOpenBlas }));
    }
  }
  const results = runTrials<Result>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const gflops = (name: string, spec: string) => median(results.get(name)!.map((r) => r[spec]));
  const names = contenders.map((c) => c.name);
  const rowsFor = (key: (s: string) => string) => specs.map((s) => [SHAPES[s], ...names.map((n) => fmt(gflops(n, key(s)), 1)), `${fmt(gflops('mlx-train', key(s)) / gflops('NumPy', key(s)))}×`]);
  const blasRows = names.map((n) => [n, results.get(n)![0].blas]);
  return [
    `### matmul (fp32 GFLOP/s; ${trials} trials, each contender in a fresh process per trial; medians of per-trial bests)`,
    '',
    describeMachine(),
    '',
    'GFLOP/s (wall time):',
    '',
    table(['M × K × N', ...names, 'mlx-train / NumPy'], rowsFor((s) => s)),
    '',
    'GFLOP per CPU-second (process CPU time, all threads; steadier under background load):',
    '',
    table(['M × K × N', ...names, 'mlx-train / NumPy'], rowsFor((s) => `cpu:${s}`)),
    '',
    table(['contender', 'BLAS in use'], blasRows),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
