/**
 * Which parameters trial i gets. Every draw of trial i comes from SeededRandom(sweep.seed, SAMPLER_STREAM, i),
 * so a seed gives the same trials, and a resumed sweep draws trial i exactly as the first run did when the trials
 * before it finished the same way (always true with parallel 1; with several workers TPE sees the trials
 * finished by then, which depends on timing).
 */
import type { SweepSpec } from '../config/sweep-schema.js';
import { SeededRandom } from '../data/seeded-random.js';
import { type Dimension, gridOf, sampleUniform, type TrialParams } from './space.js';
import { type Observation, tpeSuggest } from './tpe.js';

// SeededRandom xors the seed with its first stream, so (seed, i) would equal (seed + 1, i − 1) for some
// pairs: seeds 0 and 1 drew the same trials shifted by one. A constant first stream mixes the seed
// through a multiply before the trial index enters.
const SAMPLER_STREAM = 0x73776570;

/** Random trials before TPE: a third of the sweep, between 2 and 10 (Optuna's default is 10). */
export function startupTrials(trials: number): number {
  return Math.min(10, Math.max(2, Math.round(trials / 3)));
}

export function suggestTrial(spec: SweepSpec, dims: Dimension[], index: number, total: number, history: Observation[], mode: 'min' | 'max'): TrialParams {
  if (spec.method === 'grid') return gridOf(dims)[index];
  const rng = new SeededRandom(spec.seed, SAMPLER_STREAM, index);
  if (spec.method === 'tpe') {
    const tpe = tpeSuggest(dims, history, rng, { mode, startupTrials: startupTrials(total) });
    if (tpe) return tpe;
  }
  return Object.fromEntries(dims.map((d) => [d.key, sampleUniform(d, rng)]));
}
