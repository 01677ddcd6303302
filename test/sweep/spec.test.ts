// The sweep section: validated by the config schema, swept keys checked against it, the search space.
import { describe, expect, it } from 'vitest';
import { parseConfig, resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { parameterImportance, rankTrials } from '../../src/sweep/report.js';
import { checkSpace, dimensionsOf, enqueuedTrials, gridOf, trialConfig, trialCount } from '../../src/sweep/space.js';
import type { TrialRecord } from '../../src/sweep/study.js';

const withSweep = (sweep: Record<string, unknown>) => parseConfig({ sweep: { parameters: { 'training.learningRate': { distribution: 'log_uniform', min: 1e-5, max: 1e-3 } }, ...sweep } });

describe('sweep section', () => {
  it('fills defaults and keeps the spec', () => {
    const c = withSweep({ trials: 4 });
    expect(c.sweep).toMatchObject({ method: 'tpe', trials: 4, parallel: 1, metric: 'val_accuracy', folds: null, pruner: { type: 'asha', minEpochs: 1, reductionFactor: 3 } });
    expect(parseConfig({}).sweep).toBeUndefined();
  });

  it('names an unknown swept key, where it came from, and the closest valid key', () => {
    const err = (() => {
      try {
        resolveConfig({ env: {}, overrides: { sweep: { trials: 2, parameters: { 'training.learningRat': { values: [1e-4] } } } } });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.message).toMatch(/sweep\.parameters\.training\.learningRat: unknown config key \(library overrides\); did you mean 'training\.learningRate'\?/);
  });

  it('refuses to sweep the sweep section', () => {
    expect(() => withSweep({ parameters: { 'sweep.trials': { values: [1, 2] } } })).toThrow(/sweep\.parameters\.sweep\.trials: the sweep section itself cannot be swept/);
  });

  it('rejects malformed distributions naming the key path', () => {
    expect(() => withSweep({ parameters: { 'training.learningRate': { distribution: 'log_uniform', min: 0, max: 1e-3 } } })).toThrow(/sweep\.parameters\.training\.learningRate/);
    expect(() => withSweep({ parameters: { 'training.epochs': { distribution: 'int', min: 5, max: 2 } } })).toThrow(/max must be greater than min/);
    expect(() => withSweep({ method: 'annealing' })).toThrow(/sweep\.method/);
    expect(() => withSweep({ pruner: { type: 'asha', reductionFactor: 1 } })).toThrow(/sweep\.pruner\.reductionFactor/);
    expect(() => withSweep({ parameters: {} })).toThrow(/at least one parameter/);
  });

  it('takes pruner.resource folds only with sweep.folds, and a minFolds that leaves a fold to prune after', () => {
    expect(withSweep({ folds: 5, pruner: { resource: 'folds' } }).sweep!.pruner).toMatchObject({ type: 'asha', resource: 'folds', minFolds: 1 });
    expect(() => withSweep({ pruner: { resource: 'folds' } })).toThrow(/sweep\.pruner\.resource: 'folds' judges trials after each cross-validation fold; set sweep\.folds/);
    expect(() => withSweep({ folds: 3, pruner: { resource: 'folds', minFolds: 3 } })).toThrow(/sweep\.pruner\.minFolds: 3 leaves no fold to prune after \(sweep\.folds is 3.*use at most 2/);
    expect(() => withSweep({ folds: 3, pruner: { type: 'none', resource: 'folds', minFolds: 3 } })).not.toThrow();
    expect(() => withSweep({ folds: 3, pruner: { resource: 'fold' } })).toThrow(/sweep\.pruner\.resource/);
  });

  it('checks every bound and value against the training schema before any trial', () => {
    const base = parseConfig({});
    expect(() => checkSpace(base, dimensionsOf(withSweep({ parameters: { 'training.learningRate': { distribution: 'uniform', min: 0.1, max: 20 } } }).sweep!))).toThrow(/sweep\.parameters\.training\.learningRate.*training\.learningRate: Too big/);
    expect(() => checkSpace(base, dimensionsOf(withSweep({ parameters: { 'model.pooling': { values: ['mean', 'max'] } } }).sweep!))).toThrow(/the value "max" of sweep\.parameters\.model\.pooling/);
    expect(() => checkSpace(base, dimensionsOf(withSweep({ parameters: { 'model.pooling': { values: ['mean', 'cls'] } } }).sweep!))).not.toThrow();
  });

  it('sets each value at its key path in a config without the sweep section', () => {
    const c = trialConfig(withSweep({}), { 'training.learningRate': 1e-4, 'model.pooling': 'mean', 'training.earlyStopping.patience': 7 });
    expect(c.training.learningRate).toBe(1e-4);
    expect(c.model.pooling).toBe('mean');
    expect(c.training.earlyStopping.patience).toBe(7);
    expect(c.sweep).toBeUndefined();
  });

  it('grids lists and int ranges, refuses continuous ranges, and counts trials', () => {
    const spec = withSweep({ method: 'grid', parameters: { 'model.pooling': { values: ['cls', 'mean'] }, 'training.epochs': { distribution: 'int', min: 2, max: 6, step: 2 } } }).sweep!;
    expect(gridOf(dimensionsOf(spec))).toEqual([
      { 'model.pooling': 'cls', 'training.epochs': 2 }, { 'model.pooling': 'cls', 'training.epochs': 4 }, { 'model.pooling': 'cls', 'training.epochs': 6 },
      { 'model.pooling': 'mean', 'training.epochs': 2 }, { 'model.pooling': 'mean', 'training.epochs': 4 }, { 'model.pooling': 'mean', 'training.epochs': 6 },
    ]);
    expect(trialCount(spec)).toBe(6);
    expect(trialCount({ ...spec, trials: 4 })).toBe(4);
    expect(() => trialCount(withSweep({ method: 'grid' }).sweep!)).toThrow(/method grid needs a list of values or an int range/);
    expect(() => trialCount(withSweep({ method: 'random' }).sweep!)).toThrow(/sweep\.trials: method random needs a number of trials/);
  });
});

/** A trial that reported at resources 1..reached (epochs, unless `epochs` says otherwise: resource folds). */
const trial = (index: number, state: TrialRecord['state'], value: number | null, params: Record<string, string | number>, reached = 3, epochs = reached): TrialRecord =>
  ({ index, state, value, params, epochs, plannedEpochs: 3, attempt: '', history: new Map(Array.from({ length: reached }, (_, r) => [r + 1, value ?? 0])) });

describe('sweep report', () => {
  it('ranks complete trials by objective, then pruned (longest first), then failed', () => {
    const ranked = rankTrials([trial(0, 'pruned', 0.9, {}, 1), trial(1, 'complete', 0.7, {}), trial(2, 'failed', null, {}), trial(3, 'complete', 0.8, {}), trial(4, 'pruned', 0.6, {}, 2)], 'max');
    expect(ranked.map((t) => t.index)).toEqual([3, 1, 4, 0, 2]);
    expect(rankTrials([trial(0, 'complete', 0.3, {}), trial(1, 'complete', 0.2, {})], 'min').map((t) => t.index)).toEqual([1, 0]);
    // Pruned after folds: two folds of 4 epochs went further than one fold of 12, whatever the epochs.
    expect(rankTrials([trial(0, 'pruned', 0.9, {}, 1, 12), trial(1, 'pruned', 0.8, {}, 2, 8)], 'max').map((t) => t.index)).toEqual([1, 0]);
  });

  it('importance (η²) is 1 for the parameter that explains the objective and 0 for noise', () => {
    const dims = dimensionsOf(withSweep({ parameters: { 'model.pooling': { values: ['cls', 'mean'] }, 'training.learningRate': { distribution: 'uniform', min: 0.001, max: 0.01 } } }).sweep!);
    const ts = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => trial(i, 'complete', i % 2 ? 0.9 : 0.6, { 'model.pooling': i % 2 ? 'mean' : 'cls', 'training.learningRate': [0.002, 0.004, 0.006, 0.008][Math.floor(i / 2)] }));
    const imp = parameterImportance(ts, dims);
    expect(imp['model.pooling']).toBeCloseTo(1, 10);
    expect(imp['training.learningRate']).toBeCloseTo(0, 10);
  });

  it('resolves sweep.enqueue: base values for keys left out, each value checked against its dimension', () => {
    const parameters = {
      'training.learningRate': { distribution: 'log_uniform', min: 1e-5, max: 1e-3 },
      'training.epochs': { distribution: 'int', min: 2, max: 10, step: 2 },
      'model.pooling': { values: ['mean', 'cls'] },
    };
    const c = parseConfig({ training: { learningRate: 2e-4, epochs: 4 }, model: { pooling: 'mean' }, sweep: { trials: 4, parameters, enqueue: ['base', { 'model.pooling': 'cls', 'training.epochs': 8 }] } });
    const spec = c.sweep!;
    expect(enqueuedTrials(c, spec, dimensionsOf(spec), 4)).toEqual([
      { 'training.learningRate': 2e-4, 'training.epochs': 4, 'model.pooling': 'mean' },
      { 'training.learningRate': 2e-4, 'training.epochs': 8, 'model.pooling': 'cls' },
    ]);
    const fails = (enqueue: unknown[], extra: Record<string, unknown> = {}, trials = 4) => {
      const bad = parseConfig({ training: { learningRate: 2e-4, epochs: 4 }, sweep: { trials, parameters, enqueue, ...extra } });
      return () => enqueuedTrials(bad, bad.sweep!, dimensionsOf(bad.sweep!), trials);
    };
    expect(fails([{ 'training.epochs': 5 }])).toThrow(/sweep\.enqueue\[0\]\.training\.epochs: 5 is not on the swept int grid 2\.\.10 step 2/);
    expect(fails([{ 'training.learningRate': 0.5 }])).toThrow(/sweep\.enqueue\[0\]\.training\.learningRate: 0\.5 lies outside the swept range/);
    expect(fails(['base', { 'model.pooling': 'max' }])).toThrow(/sweep\.enqueue\[1\]\.model\.pooling: "max" is not one of the swept values \["mean","cls"\]/);
    expect(fails([{ 'training.batchSize': 8 }])).toThrow(/sweep\.enqueue\[0\]\.training\.batchSize: not a swept parameter/);
    expect(fails(['base', 'base'], {}, 1)).toThrow(/2 enqueued trials but sweep\.trials is 1/);
    expect(fails(['base'], { method: 'grid', parameters: { 'model.pooling': { values: ['mean', 'cls'] } } })).toThrow(/method grid runs every point/);
    expect(() => parseConfig({ sweep: { trials: 2, parameters, enqueue: ['best'] } })).toThrow(/sweep\.enqueue/);
  });
});
