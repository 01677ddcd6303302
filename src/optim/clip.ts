/** Gradient clipping by global norm (mlx.optimizers.clip_grad_norm). */
import * as mx from '../core/index.js';
import { treeArrays, treeMap } from '../core/tree.js';
import { checkNumber } from './optimizer.js';

/**
 * Scales every gradient by min(1, maxNorm / (‖g‖ + 1e-6)), where ‖g‖ is the norm of all gradients
 * together. Returns [clipped gradients (same tree), total norm before clipping].
 */
export function clipGradNorm<T>(grads: T, maxNorm: number): [T, mx.Array] {
  checkNumber('clipGradNorm', 'maxNorm', maxNorm, 0);
  const arrays = treeArrays(grads, 'the gradients given to clipGradNorm');
  // Sum float16 squares in float32 so they do not overflow.
  let normSquared: mx.Array | number = 0.0;
  for (const g of arrays) {
    const wide = g.dtype === 'float16' ? g.astype('float32') : g;
    normSquared = mx.add(normSquared, mx.sum(mx.square(wide)));
  }
  const totalNorm = mx.sqrt(normSquared as mx.Array);
  const normalizer = mx.minimum(mx.divide(maxNorm, mx.add(totalNorm, 1e-6)), 1.0);
  const clipped = treeMap((g: mx.Array) => (mx.isFloating(g.dtype) ? mx.multiply(g, normalizer).astype(g.dtype) : mx.multiply(g, normalizer)), grads);
  return [clipped as T, totalNorm];
}
