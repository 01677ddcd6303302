/**
 * mx.fast: layerNorm, rmsNorm, rope, scaledDotProductAttention, crossEntropy — MLX's fused entry points
 * (on the CPU device they run as chains of primitive ops, with the same results). mlx-train's own fused
 * CPU kernels live in mx.fused (core/fused.ts), not here: mx.fast keeps MLX's names only.
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray } from './array.js';
import { wrap } from './handle.js';
import { arrayOf, boolOf, intOf, numberOf, optionKeysOf } from './op-args.js';
import { invalidArg } from '../errors.js';

const checkOptions = (op: string, opts: object, allowed: string[]) => optionKeysOf(opts, `fast.${op}`, allowed);

const optionalArray = (x: MxArray | null | undefined, op: string, name: string) =>
  x === undefined || x === null ? null : arrayOf(x, `fast.${op}`, name);

/** Layer normalization over the last axis, with optional affine weight and bias. */
export function layerNorm(x: MxArray, weight: MxArray | null, bias: MxArray | null, eps: number, opts: { stream?: StreamArg } = {}): MxArray {
  checkOptions('layerNorm', opts, ['stream']);
  return wrap(native.fastLayerNorm(arrayOf(x, 'fast.layerNorm', 'x'), optionalArray(weight, 'layerNorm', 'weight'),
    optionalArray(bias, 'layerNorm', 'bias'), numberOf(eps, 'fast.layerNorm', 'eps'), opts.stream));
}

/** Root-mean-square normalization over the last axis, with an optional weight. */
export function rmsNorm(x: MxArray, weight: MxArray | null, eps: number, opts: { stream?: StreamArg } = {}): MxArray {
  checkOptions('rmsNorm', opts, ['stream']);
  return wrap(native.fastRmsNorm(arrayOf(x, 'fast.rmsNorm', 'x'), optionalArray(weight, 'rmsNorm', 'weight'),
    numberOf(eps, 'fast.rmsNorm', 'eps'), opts.stream));
}

export interface RopeOptions {
  /** Rotate consecutive pairs (true) instead of the two halves (false, the default). */
  traditional?: boolean;
  /** Base of the frequencies (10000); must be null when `freqs` is given. */
  base?: number | null;
  scale?: number;
  /** Position of the first token: an integer or a scalar/batch array. */
  offset?: number | MxArray;
  /** Explicit frequencies of shape [dims / 2], instead of `base`. */
  freqs?: MxArray | null;
  stream?: StreamArg;
}

/** Rotary position embedding on the first `dims` features of the last axis. */
export function rope(x: MxArray, dims: number, opts: RopeOptions = {}): MxArray {
  checkOptions('rope', opts, ['traditional', 'base', 'scale', 'offset', 'freqs', 'stream']);
  const hasFreqs = opts.freqs !== undefined && opts.freqs !== null;
  const base = opts.base === undefined ? (hasFreqs ? null : 10000) : opts.base;
  const offset = opts.offset ?? 0;
  return wrap(native.fastRope(arrayOf(x, 'fast.rope', 'x'), intOf(dims, 'fast.rope', 'dims'), boolOf(opts.traditional ?? false, 'fast.rope', 'traditional'),
    base === null ? null : numberOf(base, 'fast.rope', 'base'), numberOf(opts.scale ?? 1, 'fast.rope', 'scale'),
    typeof offset === 'number' ? intOf(offset, 'fast.rope', 'offset') : arrayOf(offset, 'fast.rope', 'offset'),
    optionalArray(opts.freqs, 'rope', 'freqs'), opts.stream));
}

export interface AttentionOptions {
  /** Query scale; 1/sqrt(head dim) when omitted. */
  scale?: number;
  /** 'causal', a boolean or additive mask broadcastable to [B, N, Tq, Tkv], or null. */
  mask?: MxArray | 'causal' | null;
  /** Attention sinks, one logit per head. */
  sinks?: MxArray | null;
  stream?: StreamArg;
}

/** softmax(q·kᵀ·scale + mask)·v over [B, N, T, D] inputs (grouped/multi-query heads allowed). */
export function scaledDotProductAttention(q: MxArray, k: MxArray, v: MxArray, opts: AttentionOptions = {}): MxArray {
  checkOptions('scaledDotProductAttention', opts, ['scale', 'mask', 'sinks', 'stream']);
  const qh = arrayOf(q, 'fast.scaledDotProductAttention', 'q');
  const scale = opts.scale === undefined ? 1 / Math.sqrt(q.shape[q.ndim - 1]) : numberOf(opts.scale, 'fast.scaledDotProductAttention', 'scale');
  const { mask } = opts;
  if (typeof mask === 'string' && mask !== 'causal') throw invalidArg("'causal', an mx.array or null", 'fast.scaledDotProductAttention mask', mask);
  return wrap(native.fastScaledDotProductAttention(qh, arrayOf(k, 'fast.scaledDotProductAttention', 'k'), arrayOf(v, 'fast.scaledDotProductAttention', 'v'),
    scale, mask === 'causal' ? 'causal' : '', mask === 'causal' ? null : optionalArray(mask, 'scaledDotProductAttention', 'mask'),
    optionalArray(opts.sinks, 'scaledDotProductAttention', 'sinks'), opts.stream));
}

/** Cross entropy per row of logits [..., C] against integer class targets [...]. */
export function crossEntropy(logits: MxArray, targets: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  checkOptions('crossEntropy', opts, ['stream']);
  return wrap(native.fastCrossEntropy(arrayOf(logits, 'fast.crossEntropy', 'logits'), arrayOf(targets, 'fast.crossEntropy', 'targets'), opts.stream));
}
