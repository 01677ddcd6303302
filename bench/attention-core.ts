/**
 * The attention core alone (issue #15): forward + backward of softmax(q·kᵀ·scale + mask)·v, compiled,
 * over a padded batch, at the all-MiniLM-L6-v2 shape (16 × 12 heads × 64 tokens × 32) and the BERT-mini
 * shape (32 × 4 × 128 × 64): mx.fused.attention (one primitive each way) against what it replaced (MLX's
 * batched matmuls around mx.fused.maskedSoftmax) and mx.fast.scaledDotProductAttention, each trial in a
 * fresh process, alternating. Reports median wall and process CPU ms per forward + backward.
 * Run: node --import ./scripts/register-ts.mjs bench/attention-core.ts [--trials 3] [--steps 20]
 */
import { argValue, fmt, median, nodeCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Result { ms: number; cpuMs: number }

const SHAPES = [
  { name: 'MiniLM-L6 (16 × 12 heads × 64 × 32)', args: ['16', '12', '64', '32'] },
  { name: 'BERT-mini (32 × 4 heads × 128 × 64)', args: ['32', '4', '128', '64'] },
];
const VARIANTS = [
  ['core', 'mx.fused.attention (fused core)'],
  ['softmax', 'matmuls around fused softmax (before)'],
  ['fast', 'mx.fast.scaledDotProductAttention'],
];

export function run(trials = argValue('trials', 3)): string {
  const steps = String(argValue('steps', 20));
  const out = [`### Attention core, forward + backward, compiled (${trials} trial(s) each in fresh processes, alternating; medians of ${steps} steps)`, '', describeMachine(), ''];
  const rows: string[][] = [];
  for (const shape of SHAPES) {
    const results = runTrials<Result>(VARIANTS.map(([v]) => nodeCase(v, 'attention-core.ts', [v, ...shape.args, steps])), trials,
      (name, r) => process.stderr.write(`  ${shape.name} ${name}: ${JSON.stringify(r)}\n`));
    const m = (v: string, k: keyof Result) => median(results.get(v)!.map((r) => r[k]));
    for (const [v, label] of VARIANTS) {
      rows.push([shape.name, label, fmt(m(v, 'ms'), 1), fmt(m(v, 'cpuMs'), 1), v === 'core' ? '1.00×' : `${fmt(m(v, 'ms') / m('core', 'ms'))}×`]);
    }
  }
  out.push(table(['shape', 'variant', 'wall ms', 'process CPU ms', 'wall / fused core'], rows));
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
