/**
 * The AdamW update alone over a MiniLM-shaped tree (all-MiniLM-L6-v2 + a 2-label head, 22.7 M float32
 * weights), and after the global-norm clip: mlx-train with its fused primitive, mlx-train with the stock
 * op chain (MLX_TRAIN_FUSED=0, what it was before), Python mlx.optimizers, and PyTorch AdamW with
 * foreach=True and fused=True (2 threads). Each trial in a fresh process, contenders alternating.
 * Run: npm run bench -- optimizer-update [--trials N] [--steps N]
 */
import { argValue, fmt, median, nodeCase, pythonCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Result { updateMs: number; updateCpuMs: number; clipUpdateMs: number; clipUpdateCpuMs: number }

export function run(trials = argValue('trials', 3)): string {
  const steps = String(argValue('steps', 5));
  const contenders = [
    nodeCase('fused', 'optimizer-update.ts', [steps], { MLX_TRAIN_FUSED: '1' }),
    nodeCase('stock', 'optimizer-update.ts', [steps], { MLX_TRAIN_FUSED: '0' }),
    pythonCase('python-mlx', 'optimizer_update.py', [steps]),
    pythonCase('torch-foreach', 'optimizer_update_torch.py', [steps, 'foreach'], { OMP_NUM_THREADS: '2' }),
    pythonCase('torch-fused', 'optimizer_update_torch.py', [steps, 'fused'], { OMP_NUM_THREADS: '2' }),
  ];
  const results = runTrials<Result>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const m = (name: string, k: keyof Result) => median(results.get(name)!.map((r) => r[k]));
  const row = (label: string, name: string) => [label, fmt(m(name, 'updateMs'), 1), fmt(m(name, 'updateCpuMs'), 1), `${fmt(m(name, 'updateMs') / m('fused', 'updateMs'))}×`,
    fmt(m(name, 'clipUpdateMs'), 1), fmt(m(name, 'clipUpdateCpuMs'), 1), `${fmt(m(name, 'clipUpdateMs') / m('fused', 'clipUpdateMs'))}×`];
  return [
    `### optimizer-update: AdamW over a MiniLM-shaped tree, 22.7 M float32 weights (${trials} trials in fresh processes, median of ${steps} updates each; medians)`,
    '',
    describeMachine(),
    '',
    table(['', 'update ms', 'update CPU ms', 'time / mlx-train fused', 'clip + update ms', 'clip + update CPU ms', 'time / mlx-train fused'], [
      row('mlx-train, fused primitive', 'fused'),
      row('mlx-train, stock op chain (MLX_TRAIN_FUSED=0)', 'stock'),
      row('Python mlx.optimizers.AdamW', 'python-mlx'),
      row('PyTorch AdamW(foreach=True)', 'torch-foreach'),
      row('PyTorch AdamW(fused=True)', 'torch-fused'),
    ]),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
