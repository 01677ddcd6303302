/** Native exports of native/fast.cc. */
import type { Handle, StreamArg } from '../types.js';

export interface FastBinding {
  fastLayerNorm(x: Handle, weight: Handle | null, bias: Handle | null, eps: number, s?: StreamArg): Handle;
  fastRmsNorm(x: Handle, weight: Handle | null, eps: number, s?: StreamArg): Handle;
  fastRope(x: Handle, dims: number, traditional: boolean, base: number | null, scale: number, offset: number | Handle, freqs: Handle | null, s?: StreamArg): Handle;
  fastScaledDotProductAttention(q: Handle, k: Handle, v: Handle, scale: number, maskMode: '' | 'causal', mask: Handle | null, sinks: Handle | null, s?: StreamArg): Handle;
  fastCrossEntropy(logits: Handle, targets: Handle, s?: StreamArg): Handle;
}
