/**
 * Additive attention masks for mx.fast.scaledDotProductAttention: 0 where a query may attend a key and
 * the dtype's most negative finite value elsewhere. Additive (not boolean) so a row with no key left
 * (a padding query outside every local window) softmaxes to a uniform average instead of NaN.
 */
import type { MxArray } from '../core/array.js';
import * as mx from '../core/index.js';
import { formatShape } from '../core/op-args.js';
import { ShapeError } from '../errors.js';

const FINFO_MIN: Partial<Record<mx.Dtype, number>> = { float32: -3.4028234663852886e38, float16: -65504, bfloat16: -3.3895313892515355e38 };

function toAdditive(allowed: MxArray, dtype: mx.Dtype): MxArray {
  return mx.where(allowed, mx.zeros([], dtype), mx.full([], FINFO_MIN[dtype] ?? FINFO_MIN.float32!, dtype));
}

/** [B, T] attention mask (1 = token, 0 = padding) → boolean [B, 1, 1, T]: which keys exist. */
export function keyPaddingMask(attentionMask: MxArray, op = 'keyPaddingMask'): MxArray {
  if (attentionMask.ndim !== 2) throw new ShapeError(`${op}: expected an attention mask of shape [batch, length] but received ${formatShape(attentionMask.shape)}`);
  const [b, t] = attentionMask.shape;
  return mx.reshape(mx.notEqual(attentionMask, 0), [b, 1, 1, t]);
}

/** Boolean [T, T]: true where |i − j| ≤ halfWindow (ModernBERT's local attention, window = 2·halfWindow + 1). */
export function slidingWindowMask(length: number, halfWindow: number): MxArray {
  const idx = mx.arange(length);
  return mx.lessEqual(mx.abs(mx.subtract(mx.expandDims(idx, 1), mx.expandDims(idx, 0))), halfWindow);
}

/** Additive mask [B, 1, 1, T] from a [B, T] attention mask, or null when there is none. */
export function paddingAttentionMask(attentionMask: MxArray | null | undefined, dtype: mx.Dtype = 'float32'): MxArray | null {
  if (!attentionMask) return null;
  return toAdditive(keyPaddingMask(attentionMask), dtype);
}

/** Additive mask [B or 1, 1, T, T] for a local layer: inside the window and (if given) not padding. */
export function slidingWindowAttentionMask(length: number, halfWindow: number, attentionMask: MxArray | null | undefined, dtype: mx.Dtype = 'float32'): MxArray {
  const window = slidingWindowMask(length, halfWindow);
  const allowed = attentionMask ? mx.logicalAnd(keyPaddingMask(attentionMask), window) : mx.reshape(window, [1, 1, length, length]);
  return toAdditive(allowed, dtype);
}
