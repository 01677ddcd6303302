/** Native exports of native/fused/: our fused CPU primitives (multi-threaded, vectorised; stock MLX ops elsewhere). */
import type { Handle, StreamArg } from '../types.js';

export interface FusedBinding {
  fusedGelu(x: Handle, s?: StreamArg): Handle;
  fusedGeluApprox(x: Handle, s?: StreamArg): Handle;
  fusedMaskedSoftmax(x: Handle, mask: Handle | null, s?: StreamArg): Handle;
  fusedAttention(q: Handle, k: Handle, v: Handle, scale: number, mask: Handle | null, keep: number, key: Handle | null, s?: StreamArg): Handle;
  /** fusedAttention's dropout composition in stock ops only (keep in (0, 1), the mask from the global key sequence). */
  stockDropoutAttention(q: Handle, k: Handle, v: Handle, scale: number, mask: Handle | null, keep: number, s?: StreamArg): Handle;
  fusedLayerNorm(x: Handle, weight: Handle | null, bias: Handle | null, eps: number, residual: Handle | null, s?: StreamArg): Handle;
  fusedDropout(x: Handle, keep: number, scale: number, key: Handle | null, s?: StreamArg): Handle;
  fusedEmbedding(weight: Handle, ids: Handle, s?: StreamArg): Handle;
  fusedAdd(a: Handle, b: Handle, s?: StreamArg): Handle;
  fusedLinear(x: Handle, weight: Handle, s?: StreamArg): Handle;
  /** Test aid: the primitives in the graph that computes x (empty once evaluated). */
  fusedGraphPrimitives(x: Handle): string[];
  /** Test aid: an evaluated array's element strides (the layout a kernel wrote). */
  fusedStrides(x: Handle): number[];
  fusedKernelThreads(): number;
  fusedSmallGemmPath(): 'avx512' | 'avx2' | 'portable';
  fusedBiasAdd(x: Handle, bias: Handle, s?: StreamArg): Handle;
  fusedBiasGrad(g: Handle, s?: StreamArg): Handle;
}
