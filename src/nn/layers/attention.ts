/**
 * MultiHeadAttention as mlx.nn.MultiHeadAttention (projections queryProj/keyProj/valueProj/outProj, no
 * bias by default), computed with {@link scaledDotProductAttention}, plus mask builders for padding
 * (from a [B, T] attention mask of 1 = token, 0 = padding) and causal attention. Its `dropout` option
 * drops attention probabilities in training mode, as PyTorch's nn.MultiheadAttention and HF BERT do.
 */
import { MxArray } from '../../core/array.js';
import { arange } from '../../core/creation.js';
import { type Dtype } from '../../core/dtype.js';
import { astype, greaterEqual, less, logicalAnd, multiply, notEqual } from '../../core/ops.js';
import { expandDims, flatten, reshape, transpose, unflatten } from '../../core/shape.js';
import * as fast from '../../core/fast.js';
import { attention as fusedAttention } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import { stockDropoutAttention } from '../../core/stock-attention.js';
import { formatShape } from '../../core/op-args.js';
import { describeValue, ShapeError } from '../../errors.js';
import { Module } from '../module.js';
import { checkArray, checkLastDim, checkOptions, positiveInt, probability } from './checks.js';
import { Linear } from './linear.js';

/**
 * softmax(q·kᵀ·scale + mask)·v over [B, N, T, D], the value of mx.fast.scaledDotProductAttention. float32
 * without a 'causal' mask takes mx.fused.attention while the fused kernels are on: on the CPU, where
 * mx.fast issues B·H small matmuls and the masked softmax from one thread, one primitive each way that
 * splits the heads over all cores.
 *
 * `dropout` p > 0 drops the probabilities before they meet v (kept with probability 1 − p, scaled by
 * 1/(1 − p); the mask is mx.random.bernoulli over [B, N, Tq, Tk] from the global key sequence, the same
 * draw on both paths). Callers pass it in training mode only.
 */
export function scaledDotProductAttention(q: MxArray, k: MxArray, v: MxArray, scale: number, mask: MxArray | 'causal' | null = null, dropout = 0): MxArray {
  if (probability('scaledDotProductAttention', 'the dropout probability', dropout) > 0) {
    const m = mask === 'causal' ? MultiHeadAttention.createCausalMask(q.shape[q.ndim - 2], k.shape[k.ndim - 2]) : mask;
    if (q.dtype === 'float32' && fusedKernelsEnabled()) return fusedAttention(q, k, v, scale, m, { dropout });
    return stockDropoutAttention(q, k, v, scale, m, dropout);
  }
  if (q.dtype === 'float32' && mask !== 'causal' && fusedKernelsEnabled()) return fusedAttention(q, k, v, scale, mask);
  return fast.scaledDotProductAttention(q, k, v, { scale, mask });
}

/** The most negative finite value of each floating dtype (mx.finfo(dtype).min). */
const FINFO_MIN: Partial<Record<Dtype, number>> = {
  float32: -3.4028234663852886e38,
  float16: -65504,
  bfloat16: -3.3895313892515355e38,
  float64: -1.7976931348623157e308,
};

export interface MultiHeadAttentionOptions {
  queryInputDims?: number;
  keyInputDims?: number;
  valueInputDims?: number;
  valueDims?: number;
  valueOutputDims?: number;
  bias?: boolean;
  /** Probability of dropping each attention probability in training mode (default 0). */
  dropout?: number;
}

/**
 * What forward() accepts as a mask: an additive or boolean array broadcastable to [B, heads, Tq, Tk],
 * 'causal', or { attentionMask: [B, Tk] (1 = attend, 0 = padding), causal } combined into a boolean mask.
 */
export type AttentionMask = MxArray | 'causal' | null | undefined | { attentionMask?: MxArray | null; causal?: boolean };

export class MultiHeadAttention extends Module {
  readonly numHeads: number;
  /** Attention-probability dropout, applied in training mode only. */
  readonly dropout: number;
  queryProj: Linear;
  keyProj: Linear;
  valueProj: Linear;
  outProj: Linear;

  constructor(dims: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    checkOptions('MultiHeadAttention', options, ['queryInputDims', 'keyInputDims', 'valueInputDims', 'valueDims', 'valueOutputDims', 'bias', 'dropout']);
    positiveInt('MultiHeadAttention', 'dims', dims);
    this.numHeads = positiveInt('MultiHeadAttention', 'numHeads', numHeads);
    if (dims % numHeads !== 0) throw new RangeError(`MultiHeadAttention: the input feature dimensions should be divisible by the number of heads (${dims} % ${numHeads} != 0)`);
    const queryInputDims = options.queryInputDims ?? dims;
    const keyInputDims = options.keyInputDims ?? dims;
    const valueInputDims = options.valueInputDims ?? keyInputDims;
    const valueDims = options.valueDims ?? dims;
    const valueOutputDims = options.valueOutputDims ?? dims;
    const bias = options.bias ?? false;
    this.dropout = probability('MultiHeadAttention', 'dropout', options.dropout ?? 0);
    this.queryProj = new Linear(queryInputDims, dims, { bias });
    this.keyProj = new Linear(keyInputDims, dims, { bias });
    this.valueProj = new Linear(valueInputDims, valueDims, { bias });
    this.outProj = new Linear(valueDims, valueOutputDims, { bias });
  }

  protected override extraRepr(): string {
    return `dims=${this.queryProj.outputDims}, numHeads=${this.numHeads}, bias=${this.queryProj.bias !== undefined}${this.dropout > 0 ? `, dropout=${this.dropout}` : ''}`;
  }

  // Views, not copies: the fused attention core reads heads where the projection left them ([B, T, H·D]
  // rows) and writes its output, and its gradients, in the same layout, so that merging back is a view too.
  private heads(x: MxArray): MxArray {
    return transpose(unflatten(x, -1, [this.numHeads, -1]), [0, 2, 1, 3]);
  }

  private merge(out: MxArray): MxArray {
    return flatten(transpose(out, [0, 2, 1, 3]), -2, -1);
  }

  /** queries [B, Tq, Dq], keys [B, Tk, Dk], values [B, Tk, Dv] → [B, Tq, valueOutputDims]. */
  override forward(queries: MxArray, keys: MxArray, values: MxArray, mask?: AttentionMask): MxArray {
    for (const [name, x] of [['queries', queries], ['keys', keys], ['values', values]] as const) {
      checkArray(this, x, name);
      if (x.ndim !== 3) throw new ShapeError(`${this.describe()}: expected ${name} of shape [batch, length, features] but received shape ${formatShape(x.shape)}`);
    }
    checkLastDim(this, queries, this.queryProj.inputDims, 'queries');
    checkLastDim(this, keys, this.keyProj.inputDims, 'keys');
    checkLastDim(this, values, this.valueProj.inputDims, 'values');
    if (keys.shape[1] !== values.shape[1]) {
      throw new ShapeError(`${this.describe()}: keys ${formatShape(keys.shape)} and values ${formatShape(values.shape)} must have the same length`);
    }
    const q = this.heads(this.queryProj.forward(queries));
    const k = this.heads(this.keyProj.forward(keys));
    const v = this.heads(this.valueProj.forward(values));
    const scale = Math.sqrt(1 / q.shape[3]);
    const out = scaledDotProductAttention(q, k, v, scale, this.resolveMask(mask, queries.shape[1], keys.shape[1]), this.training ? this.dropout : 0);
    return this.outProj.forward(this.merge(out));
  }

  private resolveMask(mask: AttentionMask, tq: number, tk: number): MxArray | 'causal' | null {
    if (mask === undefined || mask === null || mask === 'causal' || mask instanceof MxArray) return mask ?? null;
    if (typeof mask !== 'object') throw new TypeError(`${this.describe()}: expected an mx.array, 'causal' or { attentionMask, causal } for mask but received ${describeValue(mask)}`);
    checkOptions(`${this.describe()} mask`, mask, ['attentionMask', 'causal']);
    const pad = mask.attentionMask ? MultiHeadAttention.createPaddingMask(mask.attentionMask) : null;
    if (pad && pad.shape[3] !== tk) {
      throw new ShapeError(`${this.describe()}: attentionMask ${formatShape(mask.attentionMask!.shape)} does not match the key length ${tk}`);
    }
    if (!mask.causal) return pad;
    // Bottom-right aligned, like mx.fast's 'causal' when Tq < Tk (decoding with a cache).
    const causal = MultiHeadAttention.createCausalMask(tq, tk);
    return pad ? logicalAnd(pad, causal) : causal;
  }

  /** [N, N] additive mask: 0 on and below the diagonal, finfo(dtype).min above it (mlx.nn's). */
  static createAdditiveCausalMask(n: number, dtype: Dtype = 'float32'): MxArray {
    positiveInt('MultiHeadAttention.createAdditiveCausalMask', 'n', n);
    const min = FINFO_MIN[dtype];
    if (min === undefined) throw new TypeError(`MultiHeadAttention.createAdditiveCausalMask: expected a floating dtype but received ${dtype}`);
    const idx = arange(n);
    const above = less(expandDims(idx, 1), expandDims(idx, 0));
    return multiply(astype(above, dtype), min);
  }

  /** [Tq, Tk] boolean mask, true where query i may attend to key j (j ≤ i + Tk − Tq). */
  static createCausalMask(tq: number, tk = tq): MxArray {
    positiveInt('MultiHeadAttention.createCausalMask', 'tq', tq);
    positiveInt('MultiHeadAttention.createCausalMask', 'tk', tk);
    return greaterEqual(expandDims(arange(tk - tq, tk), 1), expandDims(arange(tk), 0));
  }

  /** [B, 1, 1, T] boolean mask from a [B, T] attention mask (nonzero = attend, 0 = padding). */
  static createPaddingMask(attentionMask: MxArray): MxArray {
    if (!(attentionMask instanceof MxArray) || attentionMask.ndim !== 2) {
      throw new ShapeError(`MultiHeadAttention.createPaddingMask: expected an attention mask of shape [batch, length] but received ${attentionMask instanceof MxArray ? formatShape(attentionMask.shape) : describeValue(attentionMask)}`);
    }
    const [b, t] = attentionMask.shape;
    return reshape(notEqual(attentionMask, 0), [b, 1, 1, t]);
  }
}
