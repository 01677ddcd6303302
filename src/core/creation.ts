/** Array constructors: zeros, ones, full, arange, linspace, eye, identity (and the *Like variants). */
import { native, type StreamArg } from './binding.js';
import { MxArray, type ArrayLike } from './array.js';
import { type Dtype, dtypeCode } from './dtype.js';
import { operand, wrap } from './handle.js';
import { invalidArg } from '../errors.js';

function shapeArg(shape: number | number[]): number[] {
  if (typeof shape === 'number') return [shape];
  if (!Array.isArray(shape)) throw invalidArg('an integer or an array of integers', 'shape', shape);
  return shape;
}

export function zeros(shape: number | number[], dtype: Dtype = 'float32', stream?: StreamArg): MxArray {
  return wrap(native.zeros(shapeArg(shape), dtypeCode(dtype), stream));
}
export function ones(shape: number | number[], dtype: Dtype = 'float32', stream?: StreamArg): MxArray {
  return wrap(native.ones(shapeArg(shape), dtypeCode(dtype), stream));
}
export function full(shape: number | number[], value: ArrayLike, dtype?: Dtype, stream?: StreamArg): MxArray {
  const d = dtype ?? (value instanceof MxArray ? value.dtype : typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int32' : 'float32');
  return wrap(native.full(shapeArg(shape), operand(value, 'value'), dtypeCode(d), stream));
}
export function zerosLike(a: MxArray, stream?: StreamArg): MxArray {
  return zeros(a.shape, a.dtype, stream);
}
export function onesLike(a: MxArray, stream?: StreamArg): MxArray {
  return ones(a.shape, a.dtype, stream);
}

export interface ArangeOptions { dtype?: Dtype; stream?: StreamArg }

/** arange(stop), arange(start, stop), arange(start, stop, step); int32 when all are integers, else float32. */
export function arange(...args: (number | ArangeOptions)[]): MxArray {
  const last = args[args.length - 1];
  const opts: ArangeOptions = typeof last === 'object' ? (args.pop() as ArangeOptions) : {};
  const nums = args as number[];
  for (const [i, v] of nums.entries()) if (typeof v !== 'number') throw invalidArg('a number', `arange argument ${i}`, v);
  if (nums.length < 1 || nums.length > 3) throw new TypeError(`arange: expected 1 to 3 numbers but received ${nums.length}`);
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  const dtype = opts.dtype ?? (nums.every(Number.isInteger) ? 'int32' : 'float32');
  return wrap(native.arange(start, stop, step, dtypeCode(dtype), opts.stream));
}

export function linspace(start: number, stop: number, num = 50, dtype: Dtype = 'float32', stream?: StreamArg): MxArray {
  return wrap(native.linspace(start, stop, num, dtypeCode(dtype), stream));
}
export function eye(n: number, m?: number, k = 0, dtype: Dtype = 'float32', stream?: StreamArg): MxArray {
  return wrap(native.eye(n, m ?? n, k, dtypeCode(dtype), stream));
}
export function identity(n: number, dtype: Dtype = 'float32', stream?: StreamArg): MxArray {
  return wrap(native.identity(n, dtypeCode(dtype), stream));
}
