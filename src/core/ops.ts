/**
 * The mx ops, named as in mlx.core (camelCase). Each validates what MLX would report poorly, then makes
 * one native call. Numbers are accepted wherever MLX accepts a scalar, with MLX's weak-scalar typing.
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray, ArrayLike } from './array.js';
import { type Dtype, dtypeCode } from './dtype.js';
import { handleOf, operand, wrap } from './handle.js';
import { invalidArg } from '../errors.js';

export function astype(a: MxArray, dtype: Dtype, stream?: StreamArg): MxArray {
  return wrap(native.astype(handleOf(a), dtypeCode(dtype), stream));
}

export function add(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.add(operand(a, 'a'), operand(b, 'b'), stream));
}
export function subtract(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.subtract(operand(a, 'a'), operand(b, 'b'), stream));
}
export function multiply(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.multiply(operand(a, 'a'), operand(b, 'b'), stream));
}
export function divide(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.divide(operand(a, 'a'), operand(b, 'b'), stream));
}
export function matmul(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.matmul(operand(a, 'a'), operand(b, 'b'), stream));
}

export function exp(a: MxArray, stream?: StreamArg): MxArray {
  return wrap(native.exp(handleOf(a), stream));
}
export function negative(a: MxArray, stream?: StreamArg): MxArray {
  return wrap(native.negative(handleOf(a), stream));
}

export function sum(a: MxArray, axis?: number | number[], keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.sum(handleOf(a), axis, keepdims, stream));
}
export function mean(a: MxArray, axis?: number | number[], keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.mean(handleOf(a), axis, keepdims, stream));
}

export function reshape(a: MxArray, shape: number[], stream?: StreamArg): MxArray {
  if (!Array.isArray(shape)) throw invalidArg('an array of integers', 'shape', shape);
  return wrap(native.reshape(handleOf(a), shape, stream));
}
