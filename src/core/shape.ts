/**
 * Shape ops, named as in mlx.core (camelCase): reshape, transpose, swapaxes, moveaxis, expandDims, squeeze,
 * flatten, unflatten, concatenate, stack, split, pad, tile, repeat, broadcastTo, broadcastArrays, tril, triu.
 * Arguments are checked here so errors name the op and the shapes involved; then one native call each.
 */
import { native, type StreamArg } from './binding.js';
import type { ArrayLike, MxArray } from './array.js';
import { isMxArray } from './array-registry.js';
import { operand, wrap, wrapMany } from './handle.js';
import { invalidArg, ShapeError } from '../errors.js';
import { arrayArg, axisArg, formatShape, intArg, intListArg } from './op-args.js';

function arrayListArg(v: unknown, name: string, op: string): MxArray[] {
  if (!Array.isArray(v) || v.length === 0) throw invalidArg('a non-empty list of mx.arrays', `${op} ${name}`, v);
  v.forEach((x, i) => {
    arrayArg(x, op, `${name}[${i}]`);
  });
  return v as MxArray[];
}

/** reshape(a, shape): one dimension may be -1 (inferred from the size). */
export function reshape(a: MxArray, shape: number | number[], stream?: StreamArg): MxArray {
  if (!isMxArray(a)) arrayArg(a, 'reshape');
  const dims = intListArg(shape, 'shape', 'reshape', true);
  let inferred = 0;
  let known = 1;
  for (const d of dims) {
    if (d === -1) inferred++;
    else if (d < -1) inferred = 2; // refused below, like two -1s
    else known *= d;
  }
  if (inferred > 1) throw new ShapeError(`reshape: shape ${formatShape(dims)} may hold at most one -1 and no other negative size`);
  // MLX checks the size itself; reading `a`'s shape here would cost a native call per reshape, so the
  // shapes are read only to word the error when MLX (or the handle check) refuses.
  if (!(inferred && known === 0)) {
    try {
      return wrap(native.reshape(a.handle, dims, stream));
    } catch {
      // fall through to the checks, which name the problem
    }
  }
  arrayArg(a, 'reshape');
  const size = a.size;
  if (inferred ? known === 0 || size % known !== 0 : known !== size) {
    throw new ShapeError(`reshape: cannot reshape an array of shape ${formatShape(a.shape)} (size ${size}) into shape ${formatShape(dims)}`);
  }
  return wrap(native.reshape(a.handle, dims, stream));
}

/** transpose(a, axes?): permutes the axes; reverses them when `axes` is omitted. */
export function transpose(a: MxArray, axes?: number[], stream?: StreamArg): MxArray {
  arrayArg(a, 'transpose');
  if (axes !== undefined && axes !== null) {
    const list = intListArg(axes, 'axes', 'transpose');
    const shape = a.shape;
    if (list.length !== shape.length) {
      throw new ShapeError(`transpose: axes ${formatShape(list)} has ${list.length} entries but the array of shape ${formatShape(shape)} has ${shape.length} axes`);
    }
    const seen = new Set(list.map((x) => axisArg(x, shape, 'axis', 'transpose')));
    if (seen.size !== list.length) throw new ShapeError(`transpose: axes ${formatShape(list)} repeat an axis of the array of shape ${formatShape(shape)}`);
  }
  return wrap(native.transpose(a.handle, axes ?? undefined, stream));
}

export function swapaxes(a: MxArray, axis1: number, axis2: number, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'swapaxes').shape;
  axisArg(axis1, shape, 'axis1', 'swapaxes');
  axisArg(axis2, shape, 'axis2', 'swapaxes');
  return wrap(native.swapaxes(a.handle, axis1, axis2, stream));
}

export function moveaxis(a: MxArray, source: number, destination: number, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'moveaxis').shape;
  axisArg(source, shape, 'source', 'moveaxis');
  axisArg(destination, shape, 'destination', 'moveaxis');
  return wrap(native.moveaxis(a.handle, source, destination, stream));
}

/** expandDims(a, axis): inserts size-1 axes; axes count in the result's dimensions. */
export function expandDims(a: MxArray, axis: number | number[], stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'expandDims').shape;
  const list = intListArg(axis, 'axis', 'expandDims', true);
  const outNdim = shape.length + list.length;
  const seen = new Set(list.map((x) => axisArg(x, shape, 'axis', 'expandDims', outNdim)));
  if (seen.size !== list.length) throw new ShapeError(`expandDims: axis ${formatShape(list)} repeats an axis (array of shape ${formatShape(shape)})`);
  return wrap(native.expandDims(a.handle, axis, stream));
}

/** squeeze(a, axis?): removes the given size-1 axes, or every size-1 axis when omitted. */
export function squeeze(a: MxArray, axis?: number | number[], stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'squeeze').shape;
  if (axis !== undefined && axis !== null) {
    for (const x of intListArg(axis, 'axis', 'squeeze', true)) {
      const ax = axisArg(x, shape, 'axis', 'squeeze');
      if (shape[ax] !== 1) throw new ShapeError(`squeeze: cannot squeeze axis ${x} of size ${shape[ax]} in an array of shape ${formatShape(shape)}`);
    }
  }
  return wrap(native.squeeze(a.handle, axis ?? undefined, stream));
}

/** flatten(a, startAxis = 0, endAxis = -1): merges the axes in [startAxis, endAxis]. */
export function flatten(a: MxArray, startAxis = 0, endAxis = -1, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'flatten').shape;
  if (shape.length > 0) {
    const s = axisArg(startAxis, shape, 'startAxis', 'flatten');
    const e = axisArg(endAxis, shape, 'endAxis', 'flatten');
    if (s > e) throw new ShapeError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis} for an array of shape ${formatShape(shape)}`);
  } else {
    intArg(startAxis, 'startAxis', 'flatten');
    intArg(endAxis, 'endAxis', 'flatten');
  }
  return wrap(native.flatten(a.handle, startAxis, endAxis, stream));
}

/** unflatten(a, axis, shape): splits one axis into `shape` (one -1 allowed). */
export function unflatten(a: MxArray, axis: number, shape: number[], stream?: StreamArg): MxArray {
  const own = arrayArg(a, 'unflatten').shape;
  const ax = axisArg(axis, own, 'axis', 'unflatten');
  const dims = intListArg(shape, 'shape', 'unflatten');
  const known = dims.reduce((p, d) => (d === -1 ? p : p * d), 1);
  const ok = dims.includes(-1) ? known !== 0 && own[ax] % known === 0 : known === own[ax];
  if (!ok || dims.length === 0) {
    throw new ShapeError(`unflatten: cannot split axis ${axis} of size ${own[ax]} (array of shape ${formatShape(own)}) into shape ${formatShape(dims)}`);
  }
  return wrap(native.unflatten(a.handle, axis, dims, stream));
}

/** concatenate(arrays, axis = 0): joins along an existing axis; `axis: null` joins the flattened arrays. */
export function concatenate(arrays: MxArray[], axis: number | null = 0, stream?: StreamArg): MxArray {
  const list = arrayListArg(arrays, 'arrays', 'concatenate');
  if (axis !== null) axisArg(axis, list[0].shape, 'axis', 'concatenate');
  return wrap(native.concatenate(list.map((x) => x.handle), axis ?? undefined, stream));
}

/** stack(arrays, axis = 0): joins equal-shaped arrays along a new axis. */
export function stack(arrays: MxArray[], axis = 0, stream?: StreamArg): MxArray {
  const list = arrayListArg(arrays, 'arrays', 'stack');
  const first = list[0].shape;
  axisArg(axis, first, 'axis', 'stack', first.length + 1);
  for (const [i, x] of list.entries()) {
    const s = x.shape;
    if (s.length !== first.length || s.some((d, j) => d !== first[j])) {
      throw new ShapeError(`stack: all arrays must have the same shape but arrays[0] has shape ${formatShape(first)} and arrays[${i}] has shape ${formatShape(s)}`);
    }
  }
  return wrap(native.stack(list.map((x) => x.handle), axis, stream));
}

/**
 * split(a, indicesOrSections, axis = 0): a number splits into that many equal parts; a list of indices
 * splits before each index (as numpy.split). Returns a list of arrays.
 */
export function split(a: MxArray, indicesOrSections: number | number[], axis = 0, stream?: StreamArg): MxArray[] {
  const shape = arrayArg(a, 'split').shape;
  const ax = axisArg(axis, shape, 'axis', 'split');
  if (typeof indicesOrSections === 'number') {
    const n = intArg(indicesOrSections, 'indicesOrSections', 'split');
    if (n <= 0 || shape[ax] % n !== 0) {
      throw new ShapeError(`split: cannot split axis ${axis} of size ${shape[ax]} (array of shape ${formatShape(shape)}) into ${n} equal sections`);
    }
  } else {
    intListArg(indicesOrSections, 'indicesOrSections', 'split');
  }
  return wrapMany(native.split(a.handle, indicesOrSections, axis, stream));
}

export type PadWidth = number | [number] | [number, number] | [number, number][] | [number][];
export type PadMode = 'constant' | 'edge';

/** Per-axis [before, after] pairs from numpy's pad_width forms. */
function padPairs(padWidth: unknown, shape: number[]): [number, number][] {
  const bad = () => invalidArg('an integer, a [before, after] pair or one pair per axis', 'pad padWidth', padWidth);
  const pair = (v: unknown): [number, number] => {
    if (typeof v === 'number') return [intArg(v, 'padWidth', 'pad'), v];
    if (Array.isArray(v) && (v.length === 1 || v.length === 2)) {
      const b = intArg(v[0], 'padWidth', 'pad');
      return [b, v.length === 2 ? intArg(v[1], 'padWidth', 'pad') : b];
    }
    throw bad();
  };
  let pairs: [number, number][];
  if (typeof padWidth === 'number' || (Array.isArray(padWidth) && padWidth.every((x) => typeof x === 'number'))) {
    pairs = shape.map(() => pair(padWidth));
  } else if (Array.isArray(padWidth) && padWidth.length === 1) {
    pairs = shape.map(() => pair(padWidth[0]));
  } else if (Array.isArray(padWidth)) {
    if (padWidth.length !== shape.length) {
      throw new ShapeError(`pad: padWidth gives ${padWidth.length} pairs but the array of shape ${formatShape(shape)} has ${shape.length} axes`);
    }
    pairs = padWidth.map(pair);
  } else {
    throw bad();
  }
  for (const [b, e] of pairs) if (b < 0 || e < 0) throw new RangeError(`pad: padWidth must not be negative but received [${b},${e}]`);
  return pairs;
}

/**
 * pad(a, padWidth, mode = 'constant', constantValues = 0): padWidth is an integer (all sides), a
 * [before, after] pair (every axis) or one pair per axis; 'edge' repeats the border values.
 */
export function pad(a: MxArray, padWidth: PadWidth, mode: PadMode = 'constant', constantValues: ArrayLike = 0, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'pad').shape;
  if (mode !== 'constant' && mode !== 'edge') throw invalidArg("'constant' or 'edge'", 'pad mode', mode);
  const pairs = padPairs(padWidth, shape);
  const axes = shape.map((_, i) => i);
  return wrap(native.pad(a.handle, axes, pairs.map((p) => p[0]), pairs.map((p) => p[1]), operand(constantValues, 'constantValues'), mode, stream));
}

/** tile(a, reps): repeats the whole array `reps` times along each axis. */
export function tile(a: MxArray, reps: number | number[], stream?: StreamArg): MxArray {
  arrayArg(a, 'tile');
  const list = intListArg(reps, 'reps', 'tile', true);
  if (list.some((r) => r < 0)) throw new RangeError(`tile: reps must not be negative but received ${formatShape(list)}`);
  return wrap(native.tile(a.handle, list, stream));
}

/** repeat(a, repeats, axis?): repeats each element; without an axis the array is flattened first. */
export function repeat(a: MxArray, repeats: number, axis?: number, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'repeat').shape;
  if (intArg(repeats, 'repeats', 'repeat') < 0) throw new RangeError(`repeat: repeats must not be negative but received ${repeats}`);
  if (axis !== undefined && axis !== null) axisArg(axis, shape, 'axis', 'repeat');
  return wrap(native.repeat(a.handle, repeats, axis ?? undefined, stream));
}

/** The numpy broadcast of two or more shapes, or a ShapeError naming them. */
export function broadcastShapes(op: string, ...shapes: number[][]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < ndim; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - ndim + i] ?? 1;
      if (x === d || x === 1) continue;
      if (d !== 1) throw new ShapeError(`${op}: shapes ${shapes.map(formatShape).join(', ')} cannot be broadcast together`);
      d = x;
    }
    out.push(d);
  }
  return out;
}

/** broadcastTo(a, shape): a view of `a` (or a scalar) repeated to `shape` by numpy's broadcasting rule. */
export function broadcastTo(a: ArrayLike, shape: number[], stream?: StreamArg): MxArray {
  const dims = intListArg(shape, 'shape', 'broadcastTo');
  if (isMxArray(a)) {
    const own = arrayArg(a, 'broadcastTo').shape;
    const ok = own.length <= dims.length && own.every((d, i) => d === 1 || d === dims[dims.length - own.length + i]);
    if (!ok) throw new ShapeError(`broadcastTo: cannot broadcast an array of shape ${formatShape(own)} to shape ${formatShape(dims)}`);
  }
  return wrap(native.broadcastTo(operand(a, 'broadcastTo a'), dims, stream));
}

/** broadcastArrays(...arrays) or broadcastArrays([arrays]): all broadcast to their common shape. */
export function broadcastArrays(...arrays: MxArray[] | [MxArray[]]): MxArray[] {
  const list = arrayListArg(Array.isArray(arrays[0]) ? arrays[0] : arrays, 'arrays', 'broadcastArrays');
  broadcastShapes('broadcastArrays', ...list.map((x) => x.shape));
  return wrapMany(native.broadcastArrays(list.map((x) => x.handle)));
}

/** tril(x, k = 0): zeroes the elements above the k-th diagonal of the last two axes. */
export function tril(x: MxArray, k = 0, stream?: StreamArg): MxArray {
  const shape = arrayArg(x, 'tril', 'x').shape;
  if (shape.length < 2) throw new ShapeError(`tril: expected an array with at least 2 dimensions but received shape ${formatShape(shape)}`);
  return wrap(native.tril(x.handle, intArg(k, 'k', 'tril'), stream));
}

/** triu(x, k = 0): zeroes the elements below the k-th diagonal of the last two axes. */
export function triu(x: MxArray, k = 0, stream?: StreamArg): MxArray {
  const shape = arrayArg(x, 'triu', 'x').shape;
  if (shape.length < 2) throw new ShapeError(`triu: expected an array with at least 2 dimensions but received shape ${formatShape(shape)}`);
  return wrap(native.triu(x.handle, intArg(k, 'k', 'triu'), stream));
}
