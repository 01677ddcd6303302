/**
 * Memory over a long Trainer.fit (bench/cases/trainer-rss.ts, in a fresh process): a BERT-tiny for 2,000
 * optimizer steps with evaluation, checkpoints and tracking every epoch, sampling process RSS and MLX
 * active memory every N steps. Drift = mean of the last quarter of the samples over the mean of the first
 * quarter after the warm-up (the first 10% of the steps, while allocator pools, caches and compiled graphs
 * fill). Goal: |drift| < 10% for RSS.
 * Run: node --import ./scripts/register-ts.mjs bench/trainer-rss.ts [--steps 2000] [--every 20]
 */
import { argValue, fmt, nodeCase, runOnce, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Sample { step: number; rssMb: number; activeMb: number; cacheMb: number }
interface Result { steps: number; seconds: number; samples: Sample[] }

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** First-quarter-after-warm-up and last-quarter means of one series, and the drift between them. */
export function drift(samples: Sample[], key: keyof Sample, steps: number): { early: number; late: number; drift: number } {
  const warm = steps * 0.1;
  const span = steps - warm;
  const early = mean(samples.filter((s) => s.step > warm && s.step <= warm + span / 4).map((s) => s[key]));
  const late = mean(samples.filter((s) => s.step > steps - span / 4).map((s) => s[key]));
  return { early, late, drift: late / early - 1 };
}

export function run(): string {
  const steps = argValue('steps', 2000);
  const every = argValue('every', 20);
  const header = describeMachine();
  const r = runOnce<Result>(nodeCase('trainer-rss', 'trainer-rss.ts', [String(steps), String(every)]));
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`;
  const series = (['rssMb', 'activeMb', 'cacheMb'] as const).map((k) => ({ k, ...drift(r.samples, k, r.steps) }));
  const label = { rssMb: 'process RSS MB', activeMb: 'MLX active MB', cacheMb: 'MLX cache MB' };
  // A coarse trace: ten evenly spaced samples.
  const picks = Array.from({ length: 10 }, (_, i) => r.samples[Math.min(r.samples.length - 1, Math.round(((i + 1) * r.samples.length) / 10) - 1)]);
  const rss = series[0];
  return [
    `### Trainer.fit memory over ${r.steps} steps (BERT-tiny, batch 8 × seq ≤ 32, eval + checkpoint + tracking every 50 steps; sampled every ${every} steps; ${fmt(r.seconds, 0)} s)`,
    '',
    header,
    '',
    table(['', `first quarter after warm-up (steps ${steps * 0.1}–${steps * 0.1 + (steps * 0.9) / 4})`, `last quarter (steps ${steps - (steps * 0.9) / 4}–${steps})`, 'drift'], series.map((s) => [label[s.k], fmt(s.early, 1), fmt(s.late, 1), pct(s.drift)])),
    '',
    table(['step', ...picks.map((p) => String(p.step))], [
      ['RSS MB', ...picks.map((p) => fmt(p.rssMb, 0))],
      ['MLX active MB', ...picks.map((p) => fmt(p.activeMb, 1))],
    ]),
    '',
    `**RSS drift ${pct(rss.drift)}** (goal < 10%: ${Math.abs(rss.drift) < 0.1 ? 'met' : 'NOT met'}).`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
