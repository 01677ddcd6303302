/**
 * The fused CPU kernels on and off (MLX_TRAIN_FUSED=1 / 0, the one switch) on the same training step
 * (bench/cases/train-step.ts: embeddings, LayerNorm, post-norm encoder, dropout 0.1, AdamW), at the
 * BERT-mini shape (4 layers, hidden 256, batch 32 × 128 tokens) and the all-MiniLM-L6-v2 shape (6 layers,
 * hidden 384, 12 heads, FFN 1536, batch 16 × 64 tokens), each trial in a fresh process, on and off
 * alternating. Reports medians of the uncompiled and compiled step and the process CPU per step.
 * Run: node --import ./scripts/register-ts.mjs bench/fused-kernels.ts [--trials N] [--steps 3]
 */
import { argValue, fmt, median, nodeCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Result { stepMs: number; compiledStepMs: number; samplesPerSec: number; compiledSamplesPerSec: number; stepCpuMs: number; compiledStepCpuMs: number }

const SHAPES = [
  { name: 'BERT-mini (4 × 256, batch 32 × 128)', args: ['32', '128', '4', '256', '4', '1024'] },
  { name: 'MiniLM-L6 (6 × 384, batch 16 × 64)', args: ['16', '64', '6', '384', '12', '1536'] },
];

export function run(trials = argValue('trials', 3)): string {
  const steps = String(argValue('steps', 3));
  const out = [`### Fused CPU kernels on vs off (MLX_TRAIN_FUSED), same step (${trials} trial(s) each in fresh processes, alternating; medians)`, '', describeMachine(), ''];
  for (const shape of SHAPES) {
    const [batch, seq, ...arch] = shape.args;
    const childArgs = [batch, seq, steps, ...arch];
    const results = runTrials<Result>([
      nodeCase('off', 'train-step.ts', childArgs, { MLX_TRAIN_FUSED: '0' }),
      nodeCase('on', 'train-step.ts', childArgs, { MLX_TRAIN_FUSED: '1' }),
    ], trials, (name, r) => process.stderr.write(`  ${shape.name} ${name}: ${JSON.stringify(r)}\n`));
    const m = (name: string, k: keyof Result) => median(results.get(name)!.map((r) => r[k]));
    const row = (label: string, k: keyof Result, digits = 0) => [label, fmt(m('off', k), digits), fmt(m('on', k), digits), `${fmt(m('off', k) / m('on', k))}×`];
    out.push(`#### ${shape.name}`, '', table(['', 'fused off', 'fused on', 'off / on'], [
      row('uncompiled step ms', 'stepMs'),
      row('compiled step ms', 'compiledStepMs'),
      row('uncompiled step, process CPU ms', 'stepCpuMs'),
      row('compiled step, process CPU ms', 'compiledStepCpuMs'),
    ]), '');
  }
  return out.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
