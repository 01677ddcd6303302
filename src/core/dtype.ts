/** MLX dtypes as string names; the numeric codes match mlx::core::Dtype::Val in the addon. */
import { invalidArg } from '../errors.js';

export const DTYPES = [
  'bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64',
  'float16', 'float32', 'float64', 'bfloat16', 'complex64',
] as const;
export type Dtype = (typeof DTYPES)[number];

const CODES = new Map<string, number>(DTYPES.map((d, i) => [d, i]));
const SIZES: Record<Dtype, number> = {
  bool: 1, uint8: 1, uint16: 2, uint32: 4, uint64: 8, int8: 1, int16: 2, int32: 4, int64: 8,
  float16: 2, float32: 4, float64: 8, bfloat16: 2, complex64: 8,
};

export const bool_ = 'bool' as const;
export const uint8 = 'uint8' as const;
export const uint16 = 'uint16' as const;
export const uint32 = 'uint32' as const;
export const uint64 = 'uint64' as const;
export const int8 = 'int8' as const;
export const int16 = 'int16' as const;
export const int32 = 'int32' as const;
export const int64 = 'int64' as const;
export const float16 = 'float16' as const;
export const float32 = 'float32' as const;
export const float64 = 'float64' as const;
export const bfloat16 = 'bfloat16' as const;
export const complex64 = 'complex64' as const;

export function dtypeCode(d: Dtype, name = 'dtype'): number {
  const code = CODES.get(d);
  if (code === undefined) throw invalidArg(`one of ${DTYPES.join(', ')}`, name, d);
  return code;
}

export function dtypeFromCode(code: number): Dtype {
  const d = DTYPES[code];
  if (!d) throw new RangeError(`unknown dtype code ${code}`);
  return d;
}

export function itemsize(d: Dtype): number {
  return SIZES[d];
}

export function isFloating(d: Dtype): boolean {
  return d === 'float16' || d === 'float32' || d === 'float64' || d === 'bfloat16';
}

export function isInteger(d: Dtype): boolean {
  return d.startsWith('int') || d.startsWith('uint');
}

/** The TypedArray class whose elements have the same bytes as `d` (half floats as raw Uint16 bits). */
export type TypedArray =
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | Int8Array | Int16Array | Int32Array
  | BigInt64Array | Float32Array | Float64Array;

export function typedArrayFor(d: Dtype, buffer: ArrayBuffer): TypedArray {
  switch (d) {
    case 'bool': case 'uint8': return new Uint8Array(buffer);
    case 'uint16': case 'float16': case 'bfloat16': return new Uint16Array(buffer);
    case 'uint32': return new Uint32Array(buffer);
    case 'uint64': return new BigUint64Array(buffer);
    case 'int8': return new Int8Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'float32': case 'complex64': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
  }
}

/** The dtype a TypedArray's elements hold (Uint8Array → uint8; use dtype: 'bool' to override). */
export function dtypeOfTypedArray(data: ArrayBufferView): Dtype | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  return undefined;
}
