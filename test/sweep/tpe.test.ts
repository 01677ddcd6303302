// The TPE sampler against uniform draws on known functions, over seeds, and its determinism.
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../src/data/seeded-random.js';
import { suggestTrial, startupTrials } from '../../src/sweep/samplers.js';
import { dimensionsOf, type TrialParams } from '../../src/sweep/space.js';
import { splitObservations, tpeSuggest, type Observation } from '../../src/sweep/tpe.js';
import type { SweepSpec } from '../../src/config/sweep-schema.js';

const spec = (method: SweepSpec['method'], seed: number): SweepSpec => ({
  method,
  trials: 30,
  parallel: 1,
  enqueue: [],
  metric: 'val_loss',
  seed,
  folds: null,
  pruner: { type: 'none', resource: 'epochs', minFolds: 1, minEpochs: 1, reductionFactor: 3 },
  parameters: {
    'training.learningRate': { distribution: 'log_uniform', min: 1e-6, max: 1e-1 },
    'training.warmupRatio': { distribution: 'uniform', min: 0, max: 1 },
    'training.epochs': { distribution: 'int', min: 1, max: 20, step: 1 },
    'model.pooling': { values: ['cls', 'mean', 'max'] },
  },
});

// A bowl around lr 3e-4, warmup 0.3, 12 epochs, mean pooling (lower is better). The pooling term is kept
// small: TPE is greedy on a list whose value is confounded with stronger knobs in the first trials.
function objective(p: TrialParams): number {
  const lr = Math.log10(p['training.learningRate'] as number) - Math.log10(3e-4);
  const w = (p['training.warmupRatio'] as number) - 0.3;
  const e = ((p['training.epochs'] as number) - 12) / 10;
  return lr * lr + 4 * w * w + e * e + ({ mean: 0, cls: 0.1, max: 0.2 } as Record<string, number>)[p['model.pooling'] as string];
}

function bestAfter(method: SweepSpec['method'], seed: number, n: number): number {
  const s = spec(method, seed);
  const dims = dimensionsOf(s);
  const history: Observation[] = [];
  for (let i = 0; i < n; i++) {
    const params = suggestTrial(s, dims, i, n, history, 'min');
    history.push({ params, value: objective(params) });
  }
  return Math.min(...history.map((h) => h.value!));
}

describe('TPE sampler', () => {
  // 100 independent seeds: 20 gave ratios from 0.51 to 0.73 (wins 13–16) depending on which 20.
  it('finds a lower minimum than random search on a known bowl, over 100 seeds', () => {
    const seeds = Array.from({ length: 100 }, (_, i) => i + 1);
    const tpe = seeds.map((s) => bestAfter('tpe', s, 30));
    const random = seeds.map((s) => bestAfter('random', s, 30));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const wins = tpe.filter((t, i) => t < random[i]).length;
    expect(mean(tpe)).toBeLessThan(0.75 * mean(random)); // 0.64 measured
    expect(wins).toBeGreaterThanOrEqual(62); // 72 measured; a coin would give 50 ± 5
  });

  it('draws the same trials from the same seed and different ones from another', () => {
    const run = (seed: number) => {
      const s = spec('tpe', seed);
      const dims = dimensionsOf(s);
      const history: Observation[] = [];
      for (let i = 0; i < 15; i++) {
        const params = suggestTrial(s, dims, i, 15, history, 'min');
        history.push({ params, value: objective(params) });
      }
      return history.map((h) => h.params);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });

  it('draws unrelated trials from neighbouring seeds (not the same ones shifted by a trial)', () => {
    const draws = (seed: number) => {
      const s = spec('random', seed);
      const dims = dimensionsOf(s);
      return Array.from({ length: 8 }, (_, i) => suggestTrial(s, dims, i, 8, [], 'min')['training.learningRate']);
    };
    const zero = new Set(draws(0));
    for (const seed of [1, 2, 3]) expect(draws(seed).filter((lr) => zero.has(lr))).toEqual([]);
  });

  it('uses uniform draws until startupTrials trials are complete or pruned, then models them', () => {
    const s = spec('tpe', 3);
    const dims = dimensionsOf(s);
    const obs: Observation[] = [{ params: { 'training.learningRate': 1e-3, 'training.warmupRatio': 0.5, 'training.epochs': 3, 'model.pooling': 'cls' }, value: 1 }];
    expect(tpeSuggest(dims, obs, new SeededRandom(1), { mode: 'min', startupTrials: 2 })).toBeNull();
    expect(tpeSuggest(dims, [...obs, { ...obs[0], value: null }], new SeededRandom(1), { mode: 'min', startupTrials: 2 })).toBeNull();
    expect(tpeSuggest(dims, [...obs, { ...obs[0], value: 2 }], new SeededRandom(1), { mode: 'min', startupTrials: 2 })).not.toBeNull();
    expect(tpeSuggest(dims, [...obs, { ...obs[0], value: 2, prunedAt: 1 }], new SeededRandom(1), { mode: 'min', startupTrials: 2 })).not.toBeNull();
    expect(startupTrials(24)).toBe(8);
  });

  it('puts the best γ fraction below and pruned/failed trials above, following the mode', () => {
    const o = (value: number | null) => ({ params: {}, value });
    const obs = [o(0.5), o(0.9), o(null), o(0.7), o(0.8)];
    expect(splitObservations(obs, 'max', 0.25).below.map((x) => x.value)).toEqual([0.9]);
    expect(splitObservations(obs, 'min', 0.5).below.map((x) => x.value)).toEqual([0.5, 0.7]);
    expect(splitObservations(obs, 'min', 0.5).above.map((x) => x.value)).toEqual([0.8, 0.9, null]);
  });

  it('ranks pruned trials after every complete one, those pruned later first', () => {
    const o = (value: number, prunedAt?: number) => ({ params: {}, value, ...(prunedAt === undefined ? {} : { prunedAt }) });
    const obs = [o(0.95, 3), o(0.6), o(0.9, 9), o(0.7), o(0.8, 9), o(0.99, 3), { params: {}, value: null }];
    const order = (mode: 'min' | 'max') => [...splitObservations(obs, mode, 1).below, ...splitObservations(obs, mode, 1).above].map((x) => [x.value, x.prunedAt]);
    expect(order('max')).toEqual([[0.7, undefined], [0.6, undefined], [0.9, 9], [0.8, 9], [0.99, 3], [0.95, 3], [null, undefined]]);
    // With only two complete trials, the best fraction takes in the trial pruned at the deepest rung.
    expect(splitObservations(obs, 'max', 0.5).below.map((x) => x.value)).toEqual([0.7, 0.6, 0.9]);
  });

  it('keeps every suggestion inside its range and on the int steps', () => {
    const s = { ...spec('tpe', 5), parameters: { ...spec('tpe', 5).parameters, 'training.epochs': { distribution: 'int' as const, min: 2, max: 11, step: 3 } } };
    const dims = dimensionsOf(s);
    const history: Observation[] = [];
    for (let i = 0; i < 25; i++) {
      const p = suggestTrial(s, dims, i, 25, history, 'min');
      expect(p['training.learningRate']).toBeGreaterThanOrEqual(1e-6);
      expect(p['training.learningRate']).toBeLessThanOrEqual(1e-1);
      expect([2, 5, 8, 11]).toContain(p['training.epochs']);
      expect(['cls', 'mean', 'max']).toContain(p['model.pooling']);
      history.push({ params: p, value: objective(p) });
    }
  });
});
