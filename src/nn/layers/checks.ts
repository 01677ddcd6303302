/** Input checks shared by the layers: errors name the layer (its toString line) and the shapes involved. */
import { MxArray } from '../../core/array.js';
import { formatShape } from '../../core/op-args.js';
import { describeValue, ShapeError } from '../../errors.js';
import type { Module } from '../module.js';

/** Checks that `x` is an array whose last dimension is `dims`. */
export function checkLastDim(layer: Module, x: unknown, dims: number, name = 'input'): MxArray {
  if (!(x instanceof MxArray)) throw new TypeError(`${layer.describe()}: expected an mx.array for ${name} but received ${describeValue(x)}`);
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== dims) {
    throw new ShapeError(`${layer.describe()}: expected ${name} with last dimension ${dims} but received shape ${formatShape(x.shape)}`);
  }
  return x;
}

export function checkArray(layer: Module, x: unknown, name = 'input'): MxArray {
  if (!(x instanceof MxArray)) throw new TypeError(`${layer.describe()}: expected an mx.array for ${name} but received ${describeValue(x)}`);
  return x;
}

export function positiveInt(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new TypeError(`${owner}: expected a positive integer for ${name} but received ${describeValue(v)}`);
  return v;
}

/** A probability in [0, 1) (a dropout rate), or a RangeError naming it. */
export function probability(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`${owner}: ${name} must be in [0, 1) but received ${describeValue(v)}`);
  return v;
}

export function checkOptions(owner: string, opts: object, allowed: string[]): void {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${owner}: expected an options object but received ${describeValue(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new TypeError(`${owner}: unknown option '${k}' (expected one of ${allowed.join(', ')})`);
  }
}
