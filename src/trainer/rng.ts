/** Seeding and the random state that checkpoints carry: MLX's global key (dropout, init). */
import * as mx from '../core/index.js';

/** Seeds MLX's global key; the data order has its own seeded generator (data/seeded-random.ts). */
export function seedEverything(seed: number): void {
  mx.random.seed(seed);
}

/** The global key as a standalone array (a copy, so later draws do not change it). */
export function captureRandomState(): mx.Array {
  const key = mx.random.getState();
  mx.eval(key);
  return key;
}

export function restoreRandomState(key: mx.Array): void {
  mx.random.setState(key);
}
