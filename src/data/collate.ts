/**
 * Host batches (padded typed arrays) and their conversion to MLX arrays. Conversion happens last, when a
 * batch is handed to the training step, so prefetched batches hold no MLX memory.
 */
import { array as mxArray, type MxArray } from '../core/array.js';
import { paddedLength } from './batching.js';
import type { EncodedExamples } from './encoded.js';

export interface HostBatch {
  /** Batch position within its epoch (resume from `index + 1`). */
  index: number;
  epoch: number;
  size: number;
  seqLen: number;
  /** Example indices (into the encoded table) of each batch row. */
  rows: number[];
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  labels: Int32Array | null;
  /** Real (non-padding) tokens in the batch. */
  tokens: number;
}

export interface Batch extends Disposable {
  index: number;
  epoch: number;
  size: number;
  seqLen: number;
  rows: number[];
  tokens: number;
  /** [size, seqLen] int32 */
  inputIds: MxArray;
  /** [size, seqLen] int32, 1 for tokens and 0 for padding */
  attentionMask: MxArray;
  /** [size, seqLen] int32 */
  tokenTypeIds: MxArray;
  /** [size] int32 class ids, or null for unlabeled data */
  labels: MxArray | null;
  dispose(): void;
}

export interface CollateOptions {
  padId: number;
  padToMultipleOf?: number;
}

export function collate(e: EncodedExamples, rows: number[], labels: Int32Array | null, options: CollateOptions & { index: number; epoch: number }): HostBatch {
  let longest = 0;
  for (const r of rows) longest = Math.max(longest, e.offsets[r + 1] - e.offsets[r]);
  const seqLen = paddedLength(Math.max(1, longest), options.padToMultipleOf ?? 1);
  const n = rows.length;
  const inputIds = new Int32Array(n * seqLen).fill(options.padId);
  const attentionMask = new Int32Array(n * seqLen);
  const tokenTypeIds = new Int32Array(n * seqLen);
  let tokens = 0;
  rows.forEach((r, b) => {
    const start = e.offsets[r];
    const len = e.offsets[r + 1] - start;
    inputIds.set(e.ids.subarray(start, start + len), b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + len);
    for (let t = 0; t < len; t++) tokenTypeIds[b * seqLen + t] = e.typeIds[start + t];
    tokens += len;
  });
  return {
    index: options.index,
    epoch: options.epoch,
    size: n,
    seqLen,
    rows,
    inputIds,
    attentionMask,
    tokenTypeIds,
    labels: labels ? Int32Array.from(rows, (r) => labels[r]) : null,
    tokens,
  };
}

export function toMxBatch(h: HostBatch): Batch {
  const shape = [h.size, h.seqLen];
  const arrays = {
    inputIds: mxArray(h.inputIds, { dtype: 'int32', shape }),
    attentionMask: mxArray(h.attentionMask, { dtype: 'int32', shape }),
    tokenTypeIds: mxArray(h.tokenTypeIds, { dtype: 'int32', shape }),
    labels: h.labels ? mxArray(h.labels, { dtype: 'int32', shape: [h.size] }) : null,
  };
  const dispose = (): void => {
    arrays.inputIds.dispose();
    arrays.attentionMask.dispose();
    arrays.tokenTypeIds.dispose();
    arrays.labels?.dispose();
  };
  return { index: h.index, epoch: h.epoch, size: h.size, seqLen: h.seqLen, rows: h.rows, tokens: h.tokens, ...arrays, dispose, [Symbol.dispose]: dispose };
}
