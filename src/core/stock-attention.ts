/**
 * Attention with probability dropout in stock MLX ops only, for nn while the fused kernels are off. It is
 * the composition mx.fused.attention falls back to for what its primitive does not take
 * (native/fused/attention_core.cc), with the mask drawn by mx.random.bernoulli from the global key
 * sequence, so both paths draw the same mask. Not part of the public API.
 */
import type { MxArray } from './array.js';
import { native } from './binding.js';
import { wrap } from './handle.js';

/** softmax(q·kᵀ·scale + mask) with each probability kept with 1 − p (p in (0, 1)) and scaled by 1/(1 − p), then ·v. */
export function stockDropoutAttention(q: MxArray, k: MxArray, v: MxArray, scale: number, mask: MxArray | null, p: number): MxArray {
  return wrap(native.stockDropoutAttention(q.handle, k.handle, v.handle, scale, mask ? mask.handle : null, 1 - p));
}
