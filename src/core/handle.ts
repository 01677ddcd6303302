/** Internal helpers that turn arguments into native operands and native handles into arrays. */
import { invalidArg } from '../errors.js';
import type { ArrayLike, MxArray } from './array.js';
import { isMxArray, newArray } from './array-registry.js';
import type { Handle, Operand } from './binding.js';

/** The native operand for an array or a JS scalar. */
export function operand(x: ArrayLike, name = 'a'): Operand {
  if (isMxArray(x)) return x.handle;
  if (typeof x === 'number' || typeof x === 'boolean' || typeof x === 'bigint') return x;
  throw invalidArg('an mx.array or a number', name, x);
}

/** The handle of an array argument (no scalars). */
export function handleOf(x: MxArray, name = 'a') {
  if (isMxArray(x)) return x.handle;
  throw invalidArg('an mx.array', name, x);
}

export const wrap = (h: Handle): MxArray => newArray(h);

export const wrapMany = (hs: Handle[]): MxArray[] => hs.map((h) => newArray(h));

