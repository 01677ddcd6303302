/** Sentence vectors from token vectors: the first ([CLS]) token, or the mean over real (unpadded) tokens. */
import type { MxArray } from '../core/array.js';
import * as mx from '../core/index.js';
import { formatShape } from '../core/op-args.js';
import { ShapeError } from '../errors.js';
import type { Pooling } from './config.js';

/** hidden [B, T, H] → [B, H]: the first token of each sequence. */
export function clsPool(hidden: MxArray): MxArray {
  return mx.take(hidden, 0, 1);
}

/** hidden [B, T, H], attentionMask [B, T] (1 = token) → [B, H]: the average of the unmasked tokens. */
export function meanPool(hidden: MxArray, attentionMask?: MxArray | null): MxArray {
  if (!attentionMask) return mx.mean(hidden, 1);
  if (attentionMask.ndim !== 2 || attentionMask.shape[0] !== hidden.shape[0] || attentionMask.shape[1] !== hidden.shape[1]) {
    throw new ShapeError(`meanPool: the attention mask ${formatShape(attentionMask.shape)} does not match the hidden states ${formatShape(hidden.shape)}`);
  }
  const weights = mx.expandDims(mx.astype(attentionMask, hidden.dtype), -1);
  const total = mx.sum(mx.multiply(hidden, weights), 1);
  // A row of all padding would divide by zero; sentence-transformers clamps the count the same way.
  const count = mx.maximum(mx.sum(weights, 1), 1e-9);
  return mx.divide(total, count);
}

export function pool(hidden: MxArray, attentionMask: MxArray | null | undefined, pooling: Pooling): MxArray {
  return pooling === 'mean' ? meanPool(hidden, attentionMask) : clsPool(hidden);
}
