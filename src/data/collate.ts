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
  /** Class ids, or `labelWidth` float targets per row (multi-label, regression). */
  labels: Int32Array | Float32Array | null;
  /** Label values per row (1 unless multi-label). */
  labelWidth?: number;
  /** Row-major [size, softTargets.width] soft targets of the batch rows, when the loader has them. */
  softTargets?: Float32Array;
  /** Real (non-padding) tokens in the batch. */
  tokens: number;
}

/**
 * Per-example targets beside the labels (a teacher's outputs for distillation): row-major
 * [examples, width]. A batch then carries its labels as float32 [size, labelWidth + width], the label
 * value(s) first (a class id, a target, or multi-label's 0/1 per label) and the targets after them, so the compiled training step takes them through its one labels
 * input unchanged (src/trainer/distill.ts unpacks them).
 */
export interface SoftTargets {
  values: Float32Array;
  width: number;
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
  /** [size] int32 class ids, [size] float32 targets, [size, labels] float32 0/1, or null for unlabeled data; with soft targets, float32 [size, labelWidth + width] (see SoftTargets) */
  labels: MxArray | null;
  dispose(): void;
}

export interface CollateOptions {
  padId: number;
  padToMultipleOf?: number;
}

export function collate(e: EncodedExamples, rows: number[], labels: Int32Array | Float32Array | null, options: CollateOptions & { index: number; epoch: number; softTargets?: SoftTargets | null; labelWidth?: number }): HostBatch {
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
    labels: labels ? gatherLabelRows(labels, rows, options.labelWidth ?? 1) : null,
    labelWidth: options.labelWidth ?? 1,
    ...(options.softTargets ? { softTargets: gatherRows(options.softTargets, rows) } : {}),
    tokens,
  };
}

function gatherRows(t: SoftTargets, rows: number[]): Float32Array {
  const out = new Float32Array(rows.length * t.width);
  rows.forEach((r, b) => out.set(t.values.subarray(r * t.width, (r + 1) * t.width), b * t.width));
  return out;
}

/** Labels as the batch carries them: int32 class ids, float targets, or the float32 [labels…, targets…] rows of SoftTargets. */
function labelArray(h: HostBatch): MxArray | null {
  if (!h.labels) return null;
  if (!h.softTargets) return mxArray(h.labels, { dtype: h.labels instanceof Float32Array ? 'float32' : 'int32', shape: (h.labelWidth ?? 1) > 1 ? [h.size, h.labelWidth!] : [h.size] });
  const lw = h.labelWidth ?? 1;
  const width = h.softTargets.length / h.size;
  const packed = new Float32Array(h.size * (lw + width));
  for (let b = 0; b < h.size; b++) {
    packed.set(h.labels.subarray(b * lw, (b + 1) * lw), b * (lw + width));
    packed.set(h.softTargets.subarray(b * width, (b + 1) * width), b * (lw + width) + lw);
  }
  return mxArray(packed, { dtype: 'float32', shape: [h.size, lw + width] });
}

/** The label values of `rows`, `width` per row, in the labels' own typed array kind. */
function gatherLabelRows<T extends Int32Array | Float32Array>(labels: T, rows: number[], width: number): T {
  const out = new (labels.constructor as new (n: number) => T)(rows.length * width);
  rows.forEach((r, b) => out.set(labels.subarray(r * width, (r + 1) * width), b * width));
  return out;
}

export function toMxBatch(h: HostBatch): Batch {
  const shape = [h.size, h.seqLen];
  const arrays = {
    inputIds: mxArray(h.inputIds, { dtype: 'int32', shape }),
    attentionMask: mxArray(h.attentionMask, { dtype: 'int32', shape }),
    tokenTypeIds: mxArray(h.tokenTypeIds, { dtype: 'int32', shape }),
    labels: labelArray(h),
  };
  const dispose = (): void => {
    arrays.inputIds.dispose();
    arrays.attentionMask.dispose();
    arrays.tokenTypeIds.dispose();
    arrays.labels?.dispose();
  };
  return { index: h.index, epoch: h.epoch, size: h.size, seqLen: h.seqLen, rows: h.rows, tokens: h.tokens, ...arrays, dispose, [Symbol.dispose]: dispose };
}
