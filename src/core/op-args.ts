/**
 * @internal Argument checks for the ops in ops.ts. MLX either rejects these values with a terse message
 * or (for a fractional axis) would not see them at all, so they are checked before the native call.
 * Each error names the op, the argument and, for options, the array they apply to:
 * `expected an integer for sum axis but received 1.5 (number) (a: float32[2,3])`.
 */
import { invalidArg, ShapeError } from '../errors.js';
import type { MxArray } from './array.js';
import { isMxArray } from './array-registry.js';
import type { Handle, Operand } from './binding.js';

/** The option error, with the array's dtype and shape appended when `of` is a live array. */
function optionError(what: string, op: string, name: string, value: unknown, of: unknown): TypeError {
  const err = invalidArg(what, `${op} ${name}`, value);
  if (isMxArray(of)) {
    try {
      err.message += ` (a: ${of.dtype}[${of.shape.join(',')}])`;
    } catch {
      err.message += ' (a: a disposed mx.array)';
    }
  }
  return err;
}

export type AxesArg = number | number[] | null | undefined;

/** Checks that `opts` is an object whose keys are all in `allowed` (a typo is an error, not a silent no-op). */
export function optionKeysOf(opts: unknown, op: string, allowed: readonly string[]): void {
  if (opts === null || typeof opts !== 'object') throw invalidArg('an options object', `${op} options`, opts);
  for (const k of Object.keys(opts)) {
    if (!allowed.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (expected one of ${allowed.join(', ')})`);
  }
}

/** The handle of an array argument (no scalars). */
export function arrayOf(x: unknown, op: string, name = 'a'): Handle {
  if (isMxArray(x)) return x.handle;
  throw invalidArg('an mx.array', `${op} ${name}`, x);
}

/** An array or a JS scalar (number, boolean, bigint); scalars get MLX's weak typing natively. */
export function operandOf(x: unknown, op: string, name = 'a'): Operand {
  if (isMxArray(x)) return x.handle;
  const t = typeof x;
  if (t === 'number' || t === 'boolean' || t === 'bigint') return x as Operand;
  throw invalidArg('an mx.array or a number', `${op} ${name}`, x);
}

/** Like operandOf, but null/undefined pass through (an absent bound). */
export function optionalOperandOf(x: unknown, op: string, name: string): Operand | null {
  return x === undefined || x === null ? null : operandOf(x, op, name);
}

export function intOf(v: unknown, op: string, name: string, of?: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw optionError('an integer', op, name, v, of);
}

export function numberOf(v: unknown, op: string, name: string, of?: unknown): number {
  if (typeof v === 'number') return v;
  throw optionError('a number', op, name, v, of);
}

export function boolOf(v: unknown, op: string, name: string, of?: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw optionError('a boolean', op, name, v, of);
}

/** One axis, or undefined for "the flattened array". */
export function axisOf(v: unknown, op: string, of?: unknown, name = 'axis'): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw optionError('an integer or null', op, name, v, of);
}

/** An axis, a list of axes, or undefined for "every axis". */
export function axesOf(v: unknown, op: string, of?: unknown, name = 'axis'): number | number[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return v as number[];
  throw optionError('an integer, an array of integers or null', op, name, v, of);
}

// Checks shared by the shape and indexing ops (and shape formatting for every layer's errors).

/** `[2,3]`: how shapes are written in error messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** @internal Checks `v` is an integer (a JS number without fraction). */
export function intArg(v: unknown, name: string, op: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidArg('an integer', `${op} ${name}`, v);
  return v;
}

/** @internal Checks `v` is an array of integers (or one integer when `allowScalar`). */
export function intListArg(v: unknown, name: string, op: string, allowScalar = false): number[] {
  if (allowScalar && typeof v === 'number') return [intArg(v, name, op)];
  if (!Array.isArray(v)) throw invalidArg(allowScalar ? 'an integer or an array of integers' : 'an array of integers', `${op} ${name}`, v);
  for (let i = 0; i < v.length; i++) {
    // The element's name is built only for the error: this check runs on every reshape.
    if (typeof v[i] !== 'number' || !Number.isInteger(v[i])) intArg(v[i], `${name}[${i}]`, op);
  }
  return v as number[];
}

/** @internal Checks an axis lies in [-ndim, ndim) for `shape`; returns it normalised to [0, ndim). */
export function axisArg(v: unknown, shape: readonly number[], name: string, op: string, ndim = shape.length): number {
  const axis = intArg(v, name, op);
  if (axis < -ndim || axis >= ndim) {
    throw new ShapeError(`${op}: ${name} ${axis} is out of range for an array of shape ${formatShape(shape)} (valid axes are ${-ndim}..${ndim - 1})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** @internal Checks `a` is a live mx.array; a disposed one is reported with the op's name. */
export function arrayArg(a: unknown, op: string, name = 'a'): MxArray {
  if (!isMxArray(a)) throw invalidArg('an mx.array', `${op} ${name}`, a);
  try {
    void a.ndim; // reads (and caches) the metadata, which fails once the array is disposed
  } catch {
    throw new TypeError(`${op}: ${name} is an mx.array that was already disposed`);
  }
  return a;
}
