/** Seeded, stratified train/validation splits and k-fold cross-validation over row indices. */
import { DataError } from './errors.js';
import { SeededRandom } from './seeded-random.js';

export interface Split {
  train: number[];
  validation: number[];
}

function groupByLabel(labels: readonly number[]): number[][] {
  const groups = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const g = groups.get(label);
    if (g) g.push(i);
    else groups.set(label, [i]);
  });
  return [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k) as number[]);
}

/**
 * Holds out `fraction` of the rows for validation. Stratified: each class keeps its share in both parts
 * (largest-remainder rounding so the total is exact). Same seed, same split.
 */
export function trainValidationSplit(labels: readonly number[], options: { fraction: number; seed: number; stratify?: boolean }): Split {
  const { fraction, seed, stratify = true } = options;
  if (!(fraction > 0 && fraction < 1)) throw new DataError(`expected a number in (0, 1) but received ${fraction}`, { key: 'validation.fraction' });
  const rng = new SeededRandom(seed, 0x5b1e);
  const groups = stratify ? groupByLabel(labels) : [labels.map((_, i) => i)];
  const total = Math.round(labels.length * fraction);
  const exact = groups.map((g) => g.length * fraction);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < total && k < order.length; k++) counts[order[k].i]++;
  const train: number[] = [];
  const validation: number[] = [];
  groups.forEach((g, gi) => {
    const shuffled = rng.shuffle([...g]);
    validation.push(...shuffled.slice(0, counts[gi]));
    train.push(...shuffled.slice(counts[gi]));
  });
  if (train.length === 0 || validation.length === 0) throw new DataError(`a ${fraction} split of ${labels.length} rows leaves one part empty`, { key: 'validation.fraction' });
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

/** k folds; fold i validates on its rows and trains on the rest. Stratified: classes are dealt round-robin. */
export function kFold(labels: readonly number[], options: { k: number; seed: number; stratify?: boolean }): Split[] {
  const { k, seed, stratify = true } = options;
  if (!Number.isInteger(k) || k < 2 || k > labels.length) throw new DataError(`expected an integer in [2, ${labels.length}] but received ${k}`, { key: 'validation.folds' });
  const rng = new SeededRandom(seed, 0xf01d);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const g of stratify ? groupByLabel(labels) : [labels.map((_, i) => i)]) {
    // Continue dealing where the last class stopped, so fold sizes differ by at most one.
    for (const i of rng.shuffle([...g])) {
      folds[next].push(i);
      next = (next + 1) % k;
    }
  }
  return folds.map((validation, f) => ({
    validation: [...validation].sort((a, b) => a - b),
    train: folds.flatMap((fold, j) => (j === f ? [] : fold)).sort((a, b) => a - b),
  }));
}
