// What k-fold stratifies on per task (src/data/strata.ts): every fold gets its share of each class,
// of each quantile bin of a regression target, and of each multilabel label combination.
import { describe, expect, it } from 'vitest';
import { LabelEncoder } from '../../src/data/labels.js';
import { kFold } from '../../src/data/split.js';
import { foldStrata } from '../../src/data/strata.js';
import type { Targets } from '../../src/data/targets.js';

const base = { reason: 'test', columns: ['y'], encoder: new LabelEncoder('y', ['y'], 1) };

/** Rows of each stratum per fold differ by at most one across the folds. */
function expectBalanced(strata: number[], k: number): void {
  const folds = kFold(strata, { k, seed: 7 });
  for (const s of new Set(strata)) {
    const counts = folds.map((f) => f.validation.filter((r) => strata[r] === s).length);
    expect(Math.max(...counts) - Math.min(...counts), `stratum ${s}: ${counts}`).toBeLessThanOrEqual(1);
  }
}

describe('foldStrata', () => {
  it('regression: rank-based quantile bins (up to 10, at least k rows each); every fold spans the range', () => {
    const n = 97;
    const values = Float32Array.from({ length: n }, (_, i) => Math.exp((i * 37) % n / 20)); // skewed, unsorted
    const targets = { ...base, task: 'regression', ids: new Int32Array(n), values, width: 1 } as Targets;
    const strata = foldStrata(targets, 5);
    expect(new Set(strata).size).toBe(10);
    // Bins follow the target's order.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
    for (let r = 1; r < n; r++) expect(strata[order[r]]).toBeGreaterThanOrEqual(strata[order[r - 1]]);
    expectBalanced(strata, 5);
    // Each fold holds rows of the lowest and of the highest bin.
    for (const f of kFold(strata, { k: 5, seed: 7 })) {
      expect(f.validation.some((r) => strata[r] === 0)).toBe(true);
      expect(f.validation.some((r) => strata[r] === 9)).toBe(true);
    }
    expect(new Set(foldStrata({ ...targets, ids: new Int32Array(8), values: values.subarray(0, 8) }, 4)).size).toBe(2); // 8 rows, k 4: 2 bins
  });

  it('multilabel: the label combination; ordinal and classification: the class', () => {
    const rows = [[1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0], [1, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0]];
    const targets = { ...base, task: 'multilabel', ids: new Int32Array(rows.length), values: Float32Array.from(rows.flat()), width: 3 } as Targets;
    const strata = foldStrata(targets, 3);
    expect(strata.slice(0, 6)).toEqual([0, 1, 2, 0, 1, 3]);
    expectBalanced(strata, 3);
    const ids = Int32Array.from([0, 2, 1, 2, 0, 1, 2, 2, 0]);
    expect(foldStrata({ ...base, task: 'ordinal', ids, values: ids, width: 1 } as Targets, 3)).toEqual(Array.from(ids));
  });
});
