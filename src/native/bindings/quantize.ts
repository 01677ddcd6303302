/** Native exports of native/quantize.cc. */
import type { Handle, StreamArg } from '../types.js';

export interface QuantizeBinding {
  quantize(w: Handle, groupSize: number | null, bits: number | null, mode: string, s?: StreamArg): Handle[];
  dequantize(w: Handle, scales: Handle, biases: Handle | null, groupSize: number | null, bits: number | null, mode: string, dtype: number | null, s?: StreamArg): Handle;
  quantizedMatmul(x: Handle, w: Handle, scales: Handle, biases: Handle | null, transpose: boolean, groupSize: number | null, bits: number | null, mode: string, s?: StreamArg): Handle;
}
