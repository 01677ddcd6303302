/**
 * a + b on a layer's own path (a residual, a LoRA update joining its frozen layer's output): one threaded
 * pass (mx.fused.add) for float32 while the fused kernels are on, where mx.add runs on MLX's single CPU
 * stream thread; mx.add otherwise, and for shapes that broadcast.
 */
import type { MxArray } from '../../core/array.js';
import { add as fusedAdd } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import { add } from '../../core/ops.js';

export function addOnPath(a: MxArray, b: MxArray): MxArray {
  return a.dtype === 'float32' && b.dtype === 'float32' && fusedKernelsEnabled() ? fusedAdd(a, b) : add(a, b);
}
