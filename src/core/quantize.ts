/**
 * quantize, dequantize, quantizedMatmul (mlx.core names). `mode: 'affine'` (the default) packs groups of
 * `groupSize` weights along the last axis into `bits`-bit integers with a scale and a bias per group;
 * group size and bits left undefined take MLX's defaults for the mode (affine: 64 and 4).
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray } from './array.js';
import { type Dtype, dtypeCode } from './dtype.js';
import { wrap, wrapMany } from './handle.js';
import { arrayOf, boolOf, intOf, optionKeysOf } from './op-args.js';
import { invalidArg } from '../errors.js';

export type QuantizationMode = 'affine' | 'mxfp4' | 'mxfp8' | 'nvfp4';

export interface QuantizeOptions {
  mode?: QuantizationMode;
  stream?: StreamArg;
}

const checkOptions = (op: string, opts: object, allowed: string[]) => optionKeysOf(opts, op, allowed);

const optionalInt = (v: number | null | undefined, op: string, name: string) => (v === undefined || v === null ? null : intOf(v, op, name));

function modeOf(op: string, mode: unknown): string {
  if (typeof mode !== 'string') throw invalidArg('a quantization mode string', `${op} mode`, mode);
  return mode;
}

/** Quantizes w along its last axis: [wq, scales, biases] for 'affine', [wq, scales] for the fp modes. */
export function quantize(w: MxArray, groupSize?: number | null, bits?: number | null, opts: QuantizeOptions = {}): MxArray[] {
  checkOptions('quantize', opts, ['mode', 'stream']);
  return wrapMany(native.quantize(arrayOf(w, 'quantize', 'w'), optionalInt(groupSize, 'quantize', 'groupSize'),
    optionalInt(bits, 'quantize', 'bits'), modeOf('quantize', opts.mode ?? 'affine'), opts.stream));
}

/** Reverses quantize(); `dtype` picks the output type (the scales' type by default). */
export function dequantize(w: MxArray, scales: MxArray, biases: MxArray | null, groupSize?: number | null, bits?: number | null,
  opts: QuantizeOptions & { dtype?: Dtype } = {}): MxArray {
  checkOptions('dequantize', opts, ['mode', 'dtype', 'stream']);
  return wrap(native.dequantize(arrayOf(w, 'dequantize', 'w'), arrayOf(scales, 'dequantize', 'scales'),
    biases === null || biases === undefined ? null : arrayOf(biases, 'dequantize', 'biases'),
    optionalInt(groupSize, 'dequantize', 'groupSize'), optionalInt(bits, 'dequantize', 'bits'), modeOf('dequantize', opts.mode ?? 'affine'),
    opts.dtype === undefined ? null : dtypeCode(opts.dtype), opts.stream));
}

/** x @ dequantize(w)ᵀ (transpose = true, the default) or x @ dequantize(w), without materializing w. */
export function quantizedMatmul(x: MxArray, w: MxArray, scales: MxArray, biases: MxArray | null, transpose = true,
  groupSize?: number | null, bits?: number | null, opts: QuantizeOptions = {}): MxArray {
  checkOptions('quantizedMatmul', opts, ['mode', 'stream']);
  return wrap(native.quantizedMatmul(arrayOf(x, 'quantizedMatmul', 'x'), arrayOf(w, 'quantizedMatmul', 'w'), arrayOf(scales, 'quantizedMatmul', 'scales'),
    biases === null || biases === undefined ? null : arrayOf(biases, 'quantizedMatmul', 'biases'), boolOf(transpose, 'quantizedMatmul', 'transpose'),
    optionalInt(groupSize, 'quantizedMatmul', 'groupSize'), optionalInt(bits, 'quantizedMatmul', 'bits'), modeOf('quantizedMatmul', opts.mode ?? 'affine'),
    opts.stream));
}
