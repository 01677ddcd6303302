/**
 * The mx.Array class (MxArray inside the sources) and mx.array(), which builds one from JS data.
 * An array is a lazy MLX graph node: ops return at once, values are computed on eval / read.
 */
import { invalidArg, outOfRange } from '../errors.js';
import { native, type Handle, type StreamArg } from './binding.js';
import {
  type Dtype, DTYPES, dtypeCode, dtypeFromCode, dtypeOfTypedArray, isFloating, itemsize, type TypedArray, typedArrayFor,
} from './dtype.js';
import * as ops from './ops.js';
import * as shapeOps from './shape.js';
import * as indexing from './indexing.js';
import { track } from './scope.js';
import { registerArrayClass } from './array-registry.js';

export type Scalar = number | boolean | bigint;
export type NestedList = Scalar | NestedList[];
export type ArrayLike = MxArray | Scalar;

export class MxArray {
  /** @internal */ readonly __mxArray = true as const;
  readonly #handle: Handle;
  #meta: number[] | undefined;

  /** @internal Arrays are made by mx.array() and the ops, not with `new`. */
  constructor(handle: Handle) {
    this.#handle = handle;
    track(this);
  }

  /** @internal The native handle (a getter, so JSON and structured clones never see it); use the methods instead. */
  get handle(): Handle {
    return this.#handle;
  }

  #getMeta(): number[] {
    return (this.#meta ??= native.meta(this.handle));
  }

  get dtype(): Dtype {
    return dtypeFromCode(this.#getMeta()[0]);
  }
  get shape(): number[] {
    return this.#getMeta().slice(1);
  }
  get ndim(): number {
    return this.#getMeta().length - 1;
  }
  get size(): number {
    const m = this.#getMeta();
    let n = 1;
    for (let i = 1; i < m.length; i++) n *= m[i];
    return n;
  }
  get itemsize(): number {
    return itemsize(this.dtype);
  }
  get nbytes(): number {
    return this.size * this.itemsize;
  }

  /** Frees the MLX memory now instead of at garbage collection. Safe to call twice. */
  dispose(): void {
    native.dispose(this.handle);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * The values as a TypedArray of the matching element type, without a copy: the buffer shares the
   * MLX memory (float16/bfloat16 as raw Uint16 bits, complex64 as interleaved Float32 pairs, bool as Uint8).
   */
  toTypedArray(): TypedArray {
    return typedArrayFor(this.dtype, native.toArrayBuffer(this.handle));
  }

  /** Nested JS lists like Python's tolist(): numbers (int64 as numbers), booleans for bool. */
  toList(): NestedList {
    const flat = this.#flatValues();
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (dim: number): NestedList[] => {
      const out: NestedList[] = [];
      for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? flat[pos++] : build(dim + 1));
      return out;
    };
    return build(0);
  }

  /** The single value of a one-element array. */
  item(): Scalar {
    if (this.size !== 1) {
      throw new RangeError(`item: expected an array with one element but the shape is [${this.shape.join(',')}]`);
    }
    return this.#flatValues()[0];
  }

  #flatValues(): Scalar[] {
    const d = this.dtype;
    if (d === 'float16' || d === 'bfloat16') {
      const wide = ops.astype(this, 'float32');
      try {
        return Array.from(wide.toTypedArray() as Float32Array);
      } finally {
        wide.dispose();
      }
    }
    if (d === 'complex64') throw new TypeError('toList/item: complex64 values have no JS number form; use toTypedArray()');
    const data = this.toTypedArray();
    if (d === 'bool') return Array.from(data as Uint8Array, (v) => v !== 0);
    if (d === 'int64' || d === 'uint64') return Array.from(data as BigInt64Array, (v) => Number(v));
    return Array.from(data as Float32Array);
  }

  toString(): string {
    return `array(${JSON.stringify(this.toList())}, dtype=${this.dtype})`;
  }

  astype(dtype: Dtype, stream?: StreamArg): MxArray {
    return ops.astype(this, dtype, stream);
  }
  // Op methods (src/core/ops.ts): the same as mx.<op>(this, ...).
  add(other: ArrayLike, stream?: StreamArg): MxArray {
    return ops.add(this, other, stream);
  }
  subtract(other: ArrayLike, stream?: StreamArg): MxArray {
    return ops.subtract(this, other, stream);
  }
  multiply(other: ArrayLike, stream?: StreamArg): MxArray {
    return ops.multiply(this, other, stream);
  }
  divide(other: ArrayLike, stream?: StreamArg): MxArray {
    return ops.divide(this, other, stream);
  }
  power(exponent: ArrayLike, stream?: StreamArg): MxArray {
    return ops.power(this, exponent, stream);
  }
  matmul(other: MxArray, stream?: StreamArg): MxArray {
    return ops.matmul(this, other, stream);
  }
  exp(stream?: StreamArg): MxArray {
    return ops.exp(this, stream);
  }
  log(stream?: StreamArg): MxArray {
    return ops.log(this, stream);
  }
  sqrt(stream?: StreamArg): MxArray {
    return ops.sqrt(this, stream);
  }
  abs(stream?: StreamArg): MxArray {
    return ops.abs(this, stream);
  }
  square(stream?: StreamArg): MxArray {
    return ops.square(this, stream);
  }
  // Shape and indexing methods (src/core/shape.ts, src/core/indexing.ts).
  /** reshape(2, 3) or reshape([2, 3]); one dimension may be -1. */
  reshape(...shape: number[] | [number[]]): MxArray {
    return shapeOps.reshape(this, Array.isArray(shape[0]) ? shape[0] : (shape as number[]));
  }
  /** The array with its axes reversed (mx.transpose without axes). */
  get T(): MxArray {
    return shapeOps.transpose(this);
  }
  /** transpose(1, 0, 2), transpose([1, 0, 2]) or transpose() to reverse the axes. */
  transpose(...axes: number[] | [number[]]): MxArray {
    const list = Array.isArray(axes[0]) ? axes[0] : (axes as number[]);
    return shapeOps.transpose(this, list.length ? list : undefined);
  }
  swapaxes(axis1: number, axis2: number): MxArray {
    return shapeOps.swapaxes(this, axis1, axis2);
  }
  expandDims(axis: number | number[]): MxArray {
    return shapeOps.expandDims(this, axis);
  }
  squeeze(axis?: number | number[]): MxArray {
    return shapeOps.squeeze(this, axis);
  }
  flatten(startAxis = 0, endAxis = -1): MxArray {
    return shapeOps.flatten(this, startAxis, endAxis);
  }
  /** numpy-style indexing, Python's a[...]: see mx.index. */
  index(...items: indexing.IndexItem[]): MxArray {
    return indexing.index(this, ...items);
  }
  /** Writers for the positions a.index(...items) reads: a.at(0, ':').set(v), a.at(ids).add(g). */
  at(...items: indexing.IndexItem[]): indexing.IndexUpdater {
    return indexing.at(this, ...items);
  }
  // Reductions (src/core/ops.ts): axis undefined/null reduces every axis.
  sum(axis?: ops.AxesArg, keepdims = false, stream?: StreamArg): MxArray {
    return ops.sum(this, axis, keepdims, stream);
  }
  mean(axis?: ops.AxesArg, keepdims = false, stream?: StreamArg): MxArray {
    return ops.mean(this, axis, keepdims, stream);
  }
  max(axis?: ops.AxesArg, keepdims = false, stream?: StreamArg): MxArray {
    return ops.max(this, axis, keepdims, stream);
  }
  min(axis?: ops.AxesArg, keepdims = false, stream?: StreamArg): MxArray {
    return ops.min(this, axis, keepdims, stream);
  }
  argmax(axis?: number | null, keepdims = false, stream?: StreamArg): MxArray {
    return ops.argmax(this, axis, keepdims, stream);
  }
  argmin(axis?: number | null, keepdims = false, stream?: StreamArg): MxArray {
    return ops.argmin(this, axis, keepdims, stream);
  }
}

export function isArray(v: unknown): v is MxArray {
  return v instanceof MxArray;
}

function inferDtype(flat: Scalar[]): Dtype {
  if (flat.length === 0) return 'float32';
  if (flat.every((v) => typeof v === 'boolean')) return 'bool';
  if (flat.every((v) => typeof v === 'bigint')) return 'int64';
  if (flat.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) return 'int32';
  return 'float32';
}

function flatten(value: NestedList, name: string): { flat: Scalar[]; shape: number[] } {
  const shape: number[] = [];
  let probe: NestedList = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: Scalar[] = [];
  const walk = (v: NestedList, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (Array.isArray(v)) throw new TypeError(`${name}: ragged nested list: ${path} is a list, but its siblings are scalars`);
      if (typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'bigint') {
        throw invalidArg('a number, boolean or bigint', `${name}${path}`, v);
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[dim]) {
      const len = Array.isArray(v) ? `length ${v.length}` : 'a scalar';
      throw new TypeError(`${name}: ragged nested list: ${path || 'the value'} is ${len} where length ${shape[dim]} was expected`);
    }
    v.forEach((item, i) => walk(item, dim + 1, `${path}[${i}]`));
  };
  walk(value, 0, '');
  return { flat, shape };
}

const BIGINT_RANGES: Partial<Record<Dtype, readonly [bigint, bigint]>> = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n], int16: [-(2n ** 15n), 2n ** 15n - 1n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 2n ** 8n - 1n], uint16: [0n, 2n ** 16n - 1n], uint32: [0n, 2n ** 32n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/** A BigInt is an exact integer: one that `dtype` cannot hold is an error, never silently wrapped. */
function checkBigInts(flat: Scalar[], dtype: Dtype, name: string): void {
  const range = BIGINT_RANGES[dtype];
  if (!range) return;
  flat.forEach((v, i) => {
    if (typeof v === 'bigint' && (v < range[0] || v > range[1])) {
      throw outOfRange(`${name}: the BigInt ${v} ${flat.length > 1 ? `at flat index ${i} ` : ''}does not fit ${dtype} (range ${range[0]} to ${range[1]})`);
    }
  });
}

function typedArrayOf(flat: Scalar[], dtype: Dtype): { data: ArrayBufferView; dtype: Dtype } {
  switch (dtype) {
    case 'bool': return { data: Uint8Array.from(flat, (v) => (v ? 1 : 0)), dtype };
    case 'int64': return { data: BigInt64Array.from(flat, (v) => BigInt(typeof v === 'bigint' ? v : Math.trunc(Number(v)))), dtype };
    case 'uint64': return { data: BigUint64Array.from(flat, (v) => BigInt(typeof v === 'bigint' ? v : Math.trunc(Number(v)))), dtype };
    case 'float64': return { data: Float64Array.from(flat, Number), dtype };
    case 'int32': return { data: Int32Array.from(flat, Number), dtype };
    case 'uint32': return { data: Uint32Array.from(flat, Number), dtype };
    case 'int16': return { data: Int16Array.from(flat, Number), dtype };
    case 'uint16': return { data: Uint16Array.from(flat, Number), dtype };
    case 'int8': return { data: Int8Array.from(flat, Number), dtype };
    case 'uint8': return { data: Uint8Array.from(flat, Number), dtype };
    default: return { data: Float32Array.from(flat, Number), dtype: 'float32' };
  }
}

export interface ArrayOptions {
  dtype?: Dtype;
  /** Shape for flat TypedArray data (default: one dimension). */
  shape?: number[];
}

/**
 * mx.array(value, dtype?): from a number/boolean/bigint, a nested list, a TypedArray (its bytes are
 * copied once) or another array (a new array, cast if dtype differs).
 */
export function array(value: NestedList | ArrayBufferView | MxArray, dtypeOrOptions?: Dtype | ArrayOptions): MxArray {
  const options: ArrayOptions = typeof dtypeOrOptions === 'string' ? { dtype: dtypeOrOptions } : (dtypeOrOptions ?? {});
  const dtype = options.dtype;
  if (dtype !== undefined && !DTYPES.includes(dtype)) throw invalidArg(`one of ${DTYPES.join(', ')}`, 'dtype', dtype);
  if (value instanceof MxArray) return ops.astype(value, dtype ?? value.dtype);
  if (ArrayBuffer.isView(value)) {
    const own = dtypeOfTypedArray(value);
    if (!own) throw invalidArg('a numeric TypedArray', 'data', value);
    const shape = options.shape ?? [(value as TypedArray).length];
    const target = dtype ?? own;
    // bool from Uint8Array and half floats from their Uint16 bits share bytes with the source type.
    const sameBytes = target === own || (own === 'uint8' && target === 'bool') ||
      (own === 'uint16' && (target === 'float16' || target === 'bfloat16')) || (own === 'float32' && target === 'complex64');
    if (sameBytes) return new MxArray(native.fromTypedArray(value, shape, dtypeCode(target)));
    const raw = new MxArray(native.fromTypedArray(value, shape, dtypeCode(own)));
    try {
      return ops.astype(raw, target);
    } finally {
      raw.dispose();
    }
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    const d = dtype ?? (typeof value === 'boolean' ? 'bool' : typeof value === 'bigint' ? 'int64' : inferDtype([value]));
    checkBigInts([value], d, 'mx.array');
    return new MxArray(native.scalar(value, dtypeCode(d)));
  }
  if (!Array.isArray(value)) throw invalidArg('a number, nested list, TypedArray or mx.array', 'value', value);
  const { flat, shape } = flatten(value, 'mx.array');
  const target = dtype ?? inferDtype(flat);
  checkBigInts(flat, target, 'mx.array');
  const direct = isFloating(target) && target !== 'float32' && target !== 'float64' ? 'float32' : target;
  const { data, dtype: made } = typedArrayOf(flat, direct === 'complex64' ? 'float32' : direct);
  const base = new MxArray(native.fromTypedArray(data, shape, dtypeCode(made)));
  if (made === target) return base;
  try {
    return ops.astype(base, target);
  } finally {
    base.dispose();
  }
}

registerArrayClass(MxArray, array as Parameters<typeof registerArrayClass>[1]);
