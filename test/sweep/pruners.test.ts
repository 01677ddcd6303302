// ASHA and median pruning decisions at epoch or fold boundaries; each pruner setting changes a decision.
import { describe, expect, it } from 'vitest';
import { Pruner } from '../../src/sweep/pruners.js';

const asha = (minEpochs = 1, reductionFactor = 3, mode: 'min' | 'max' = 'max') => new Pruner({ type: 'asha', resource: 'epochs', minEpochs, minFolds: 1, reductionFactor }, mode, 'val_accuracy');
const byFolds = (type: 'asha' | 'median', minFolds: number, minEpochs = 1) => new Pruner({ type, resource: 'folds', minEpochs, minFolds, reductionFactor: 3 }, 'max', 'val_accuracy');

describe('ASHA pruner', () => {
  it('places rungs at minEpochs × factor^k below the trial length', () => {
    expect(asha(1, 3).rungs(10)).toEqual([1, 3, 9]);
    expect(asha(2, 2).rungs(10)).toEqual([2, 4, 8]);
    expect(asha(1, 3).rungs(3)).toEqual([1]);
  });

  it('keeps the best ⌊n/η⌋ (at least one) at a rung and prunes the rest, naming why', () => {
    const p = asha(1, 3);
    expect(p.report(0, 1, 0.8, 9).prune).toBe(false); // first at the rung: the best so far
    expect(p.report(1, 1, 0.7, 9).prune).toBe(true); // 2 values, keep 1: 0.7 is second
    expect(p.report(2, 1, 0.85, 9).prune).toBe(false); // 3 values, keep 1: best
    const d = p.report(3, 1, 0.82, 9); // 4 values, keep 1: second
    expect(d.prune).toBe(true);
    expect(d.reason).toMatch(/asha: val_accuracy 0\.82.* rung epoch 1 ranks 2 of 4; only the best 1 \(1\/3\)/);
    for (let t = 4; t < 8; t++) p.report(t, 1, 0.5, 9);
    // 9 values, keep 3: 0.81 is third behind 0.85 and 0.82.
    expect(p.report(8, 1, 0.81, 9).prune).toBe(false);
  });

  it('decides only at rungs, from minEpochs on, never at a trial\'s last epoch', () => {
    const p = asha(2, 2);
    p.report(0, 1, 0.9, 8);
    expect(p.report(1, 1, 0.1, 8).prune).toBe(false); // epoch 1 < minEpochs 2
    p.report(0, 2, 0.9, 8);
    expect(p.report(1, 2, 0.1, 8).prune).toBe(true); // rung 2
    p.report(0, 3, 0.9, 8);
    expect(p.report(2, 3, 0.1, 8).prune).toBe(false); // 3 is not a rung
    expect(p.report(3, 2, 0.1, 2).prune).toBe(false); // a 2-epoch trial's end
  });

  it('with a horizon (sweep.folds: the first fold) places rungs only below it, but still stops a NaN', () => {
    // 5 folds × 4 epochs: resource 9 would be a rung of a 20-epoch trial, but it is fold 3's first epoch.
    const p = asha(1, 3);
    expect(p.report(0, 1, 0.9, 20, 4).prune).toBe(false);
    expect(p.report(1, 1, 0.1, 20, 4).prune).toBe(true); // rung 1, inside the first fold
    p.report(0, 9, 0.9, 20, 4);
    expect(p.report(2, 9, 0.1, 20, 4).prune).toBe(false); // past the horizon: runs to the end
    expect(p.report(3, 9, 0.1, 20).prune).toBe(true); // the same report without a horizon is a rung
    expect(p.report(4, 10, Number.NaN, 20, 4)).toMatchObject({ prune: true, reason: 'val_accuracy is NaN at epoch 10' });
  });

  it('the reduction factor changes who goes on', () => {
    const run = (eta: number) => {
      const p = asha(1, eta);
      [0.9, 0.8, 0.7, 0.6, 0.5].forEach((v, t) => p.report(t, 1, v, 5));
      return p.report(5, 1, 0.75, 5).prune; // third of 6
    };
    expect(run(2)).toBe(false); // keep 3
    expect(run(3)).toBe(true); // keep 2
  });

  it('follows the mode (min for losses)', () => {
    const p = asha(1, 2, 'min');
    p.report(0, 1, 0.3, 4);
    expect(p.report(1, 1, 0.2, 4).prune).toBe(false);
    expect(p.report(2, 1, 0.5, 4).prune).toBe(true);
  });
});

describe('pruning by folds (pruner.resource folds)', () => {
  it('places ASHA rungs at minFolds × factor^k folds and words its reason in folds', () => {
    expect(byFolds('asha', 1).rungs(5)).toEqual([1, 3]);
    expect(byFolds('asha', 2).rungs(10)).toEqual([2, 6]);
    const p = byFolds('asha', 1, 9); // minEpochs does not apply: the first rung is fold 1
    expect(p.report(0, 1, 0.84, 5).prune).toBe(false);
    const d = p.report(1, 1, 0.8, 5);
    expect(d).toMatchObject({ prune: true });
    expect(d.reason).toMatch(/^asha: mean val_accuracy of the first 1 fold\(s\) 0\.8000 at rung fold 1 ranks 2 of 2/);
    expect(p.report(2, 2, 0.1, 5).prune).toBe(false); // fold 2 is not a rung
    expect(p.report(3, 5, 0.1, 5).prune).toBe(false); // the last fold is the objective: never pruned
  });

  it('minFolds holds the first decision back', () => {
    const p = byFolds('asha', 2);
    p.report(0, 1, 0.9, 5);
    expect(p.report(1, 1, 0.1, 5).prune).toBe(false);
    p.report(0, 2, 0.9, 5);
    expect(p.report(1, 2, 0.1, 5).prune).toBe(true);
  });

  it('median pruning compares the running fold means', () => {
    const p = byFolds('median', 1);
    [0.8, 0.82, 0.84].forEach((v, t) => p.report(t, 2, v, 5));
    expect(p.report(3, 2, 0.83, 5).prune).toBe(false);
    expect(p.report(4, 2, 0.81, 5)).toMatchObject({ prune: true, reason: expect.stringMatching(/mean val_accuracy of the first 2 fold\(s\) 0\.8100 at fold 2 is worse than the median/) });
  });
});

describe('median pruner', () => {
  it('stops a trial worse than the median of at least 3 others at the same epoch, from minEpochs on', () => {
    const p = new Pruner({ type: 'median', resource: 'epochs', minFolds: 1, minEpochs: 2, reductionFactor: 3 }, 'max', 'val_accuracy');
    for (const [t, v] of [[0, 0.8], [1, 0.7], [2, 0.9]] as const) {
      p.report(t, 1, v, 5);
      p.report(t, 2, v, 5);
    }
    expect(p.report(3, 1, 0.1, 5).prune).toBe(false); // before minEpochs
    const d = p.report(3, 2, 0.75, 5);
    expect(d.prune).toBe(true);
    expect(d.reason).toMatch(/median 0\.8000 of 3 other trials/);
    expect(p.report(4, 2, 0.85, 5).prune).toBe(false);
  });

  it('waits for 3 other trials at that epoch', () => {
    const p = new Pruner({ type: 'median', resource: 'epochs', minFolds: 1, minEpochs: 1, reductionFactor: 3 }, 'max');
    p.report(0, 1, 0.9, 5);
    p.report(1, 1, 0.8, 5);
    expect(p.report(2, 1, 0.1, 5).prune).toBe(false);
  });
});

describe('no pruner', () => {
  it('never stops a trial', () => {
    const p = new Pruner({ type: 'none', resource: 'epochs', minFolds: 1, minEpochs: 1, reductionFactor: 2 }, 'max');
    p.report(0, 1, 0.9, 5);
    expect(p.report(1, 1, 0.1, 5).prune).toBe(false);
  });
});
