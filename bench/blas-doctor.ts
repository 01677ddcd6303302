/**
 * The BLAS goal of issue 21: the fp32 GEMM GFLOP/s `mlx-train doctor` reports (1024³, on the OpenBLAS the
 * install set up) against NumPy's in the same run, alternating, each in a fresh process per trial. NumPy
 * runs with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE cleared (tuning meant for old builds only slows it).
 * Goal: ≥ 0.9× NumPy. Run: npm run bench -- blas-doctor [--trials N]
 */
import { argValue, type Contender, fmt, median, nodeCase, pythonCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

type Result = { '1x1024x1024x1024': number; blas: string };

export function run(trials = argValue('trials', 5)): string {
  const shape = '1x1024x1024x1024';
  const contenders: Contender[] = [
    nodeCase('mlx-train doctor', 'doctor-gemm.ts'),
    pythonCase('NumPy', 'matmul.py', ['numpy', shape], { OPENBLAS_CORETYPE: undefined, OPENBLAS_L2_SIZE: undefined }),
  ];
  const results = runTrials<Result>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const of = (name: string) => results.get(name)!.map((r) => r[shape]);
  const ours = median(of('mlx-train doctor'));
  const numpy = median(of('NumPy'));
  return [
    `### doctor's GEMM vs NumPy (fp32 1024³ GFLOP/s; ${trials} alternating trials, fresh processes; medians)`,
    '',
    describeMachine(),
    '',
    table(['contender', 'median GFLOP/s', 'per trial', 'BLAS in use'], contenders.map((c) =>
      [c.name, fmt(median(of(c.name)), 1), of(c.name).map((x) => fmt(x, 1)).join(', '), results.get(c.name)![0].blas])),
    '',
    `mlx-train doctor / NumPy: **${fmt(ours / numpy)}×** (goal ≥ 0.9×)`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
