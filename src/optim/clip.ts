/** Gradient clipping by global norm (mlx.optimizers.clip_grad_norm). */
import * as mx from '../core/index.js';
import { treeArrays, treeMap } from '../core/tree.js';
import { fusedOptimizerApplies, fusedSumOfSquares } from '../core/fused-optim.js';
import { checkNumber } from './optimizer.js';

/**
 * The clip coefficient min(1, maxNorm / (‖g‖ + 1e-6)) and the global norm ‖g‖ of all gradients
 * together, without touching the gradients: pass the coefficient to the optimizer as `gradScale` and
 * the fused update applies it while it reads them. Returns [coefficient, total norm].
 */
export function clipScale(grads: unknown, maxNorm: number): [mx.Array, mx.Array] {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, 0);
  const arrays = treeArrays(grads, 'the gradients given to clipGradNorm');
  let normSquared: mx.Array | number = 0.0;
  if (arrays.length > 0 && fusedOptimizerApplies(arrays)) {
    // One multi-threaded pass over every gradient instead of a square, a sum and an add per array.
    normSquared = fusedSumOfSquares(arrays);
  } else {
    // Sum float16 squares in float32 so they do not overflow.
    for (const g of arrays) {
      const wide = g.dtype === 'float16' ? g.astype('float32') : g;
      normSquared = mx.add(normSquared, mx.sum(mx.square(wide)));
    }
  }
  const totalNorm = mx.sqrt(normSquared as mx.Array);
  return [mx.minimum(mx.divide(maxNorm, mx.add(totalNorm, 1e-6)), 1.0), totalNorm];
}

/**
 * Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the norm of all gradients
 * together. Returns [clipped gradients (same tree), total norm before clipping].
 */
export function clipGradNorm<T>(grads: T, maxNorm: number): [T, mx.Array] {
  const [normalizer, totalNorm] = clipScale(grads, maxNorm);
  const clipped = treeMap((g: mx.Array) => (mx.isFloating(g.dtype) ? mx.multiply(g, normalizer).astype(g.dtype) : mx.multiply(g, normalizer)), grads);
  return [clipped as T, totalNorm];
}
