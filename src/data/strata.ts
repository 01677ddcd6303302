/**
 * What k-fold stratifies on, per task (the fold dealing itself is split.ts's kFold):
 * - classification, ordinal: the class id, so every fold keeps each class's share;
 * - regression: the target's quantile bin (rank-based, up to 10 bins and at least k rows per bin), so
 *   every fold spans the target's range instead of a shuffle's luck;
 * - multilabel: the row's label combination (label-powerset stratification): rows with the same label
 *   set are dealt across the folds in turn, so each label's frequency stays close to equal across folds.
 *   Combinations seen once are dealt consecutively too, so rare labels still spread out.
 */
import type { Targets } from './targets.js';

const MAX_QUANTILE_BINS = 10;

/** One stratum id per row of `targets` for a k-fold split into `k` folds. */
export function foldStrata(targets: Targets, k: number): number[] {
  const n = targets.ids.length;
  if (targets.task === 'regression') {
    const v = targets.values;
    const bins = Math.max(1, Math.min(MAX_QUANTILE_BINS, Math.floor(n / k)));
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b] || a - b);
    const strata = new Array<number>(n);
    order.forEach((row, rank) => {
      strata[row] = Math.floor((rank * bins) / n);
    });
    return strata;
  }
  if (targets.task === 'multilabel') {
    const w = targets.width;
    const ids = new Map<string, number>();
    return Array.from({ length: n }, (_, i) => {
      const key = Array.from(targets.values.subarray(i * w, (i + 1) * w), (x) => (x >= 0.5 ? '1' : '0')).join('');
      let id = ids.get(key);
      if (id === undefined) ids.set(key, (id = ids.size));
      return id;
    });
  }
  return Array.from(targets.ids);
}
