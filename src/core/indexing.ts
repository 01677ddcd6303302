/**
 * Indexing ops, named as in mlx.core (camelCase): take, takeAlongAxis, putAlongAxis, slice, sliceUpdate,
 * gather, scatter, scatterAdd; plus mx.index(a, ...), the numpy-style `a[...]` of MLX's Python binding.
 *
 * mx.index spec (each argument indexes the next axis, like one entry of a Python index tuple):
 *   - an integer picks one position and removes the axis; negative counts from the end; out of range
 *     is a RangeError (checked here, since the shape is known);
 *   - a slice string 'start:stop:step' with any part omitted (':', '1:3', '::2', '-2:', '::-1') or an
 *     object {start?, stop?, step?}; Python's clamping rules apply;
 *   - null inserts a new axis of size 1 (Python's None / np.newaxis);
 *   - '...' stands for as many ':' as needed (at most one);
 *   - an integer mx.array (or a plain JS list of integers) gathers positions along that axis. Several
 *     of them broadcast together; as in numpy, their result axes go where the first one was when they
 *     are adjacent in the index, else to the front. Integers next to arrays count as arrays for that rule.
 *     Negative entries count from the end. Array values are bounds-checked (see checkIndexValues).
 * Axes not named are taken whole. Example: mx.index(a, 0, '1:', null, mx.array([2, 0])).
 */
import { native, type StreamArg } from './binding.js';
import type { ArrayLike, MxArray } from './array.js';
import { isMxArray, makeArray } from './array-registry.js';
import { operand, wrap } from './handle.js';
import { invalidArg, outOfRange, DtypeError, ShapeError } from '../errors.js';
import { deferInputCheck } from './input-checks.js';
import { arrayArg, axisArg, formatShape, intArg, intListArg } from './op-args.js';
import { broadcastShapes } from './shape.js';
import { dtypeCode } from './dtype.js';

const INTEGER_DTYPES = new Set(['uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64']);

function indexArrayArg(a: unknown, op: string, name: string): MxArray {
  const arr = arrayArg(a, op, name);
  if (!INTEGER_DTYPES.has(arr.dtype)) {
    throw new DtypeError(`${op}: expected an integer array for ${name} but received ${arr.dtype} (shape ${formatShape(arr.shape)})`);
  }
  return arr;
}

/** The typed array behind an integer index array (BigInt64Array for int64). */
type IndexValues = { readonly length: number; readonly [k: number]: number | bigint };

/**
 * MLX reads and writes out of bounds (and can crash the process) for index arrays it does not check, so
 * their values are checked here. That evaluates the indices (cheap for the usual data-derived ids); inside
 * compile/grad tracing, where values are not known yet, the check is skipped.
 * Each index i must satisfy 0 <= (i < 0 ? i + n : i) <= n - span (span = the slice length read there).
 */
function checkIndexValues(op: string, idx: MxArray, n: number, where: string, span = 1): void {
  if (idx.size === 0) return;
  if (native.isTracer(idx.handle)) {
    // Being compiled: check the real values on every call when the indices are an input (input-checks.ts).
    deferInputCheck(idx, `${op}|${where}|${n}|${span}`, (real) => checkIndexValues(op, real, n, where, span));
    return;
  }
  const values = idx.toTypedArray() as IndexValues;
  for (let k = 0; k < values.length; k++) {
    const v = Number(values[k]);
    const w = v < 0 ? v + n : v;
    if (w < 0 || w + span > n) {
      const range = span > 1 ? ` (with a slice of ${span})` : '';
      throw outOfRange(`${op}: index ${v} is out of bounds for ${where} with size ${n}${range}`);
    }
  }
}

/**
 * Checks that integer `indices` address positions 0..n-1 (negative ones count from the end), eagerly
 * or, inside mx.compile, on every call when they are an input: for ops that index through a computed
 * array (e.g. cross-entropy's targets after expandDims) and so would not be checked otherwise.
 */
export function checkIndices(op: string, indices: MxArray, n: number, where: string): void {
  checkIndexValues(op, indexArrayArg(indices, op, 'indices'), n, where);
}

/** take(a, indices, axis?): elements at `indices` along `axis`, or of the flattened array without one. */
export function take(a: MxArray, indices: MxArray | number, axis?: number, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'take').shape;
  const ax = axis === undefined || axis === null ? undefined : axisArg(axis, shape, 'axis', 'take');
  if (typeof indices === 'number') {
    intArg(indices, 'indices', 'take');
    const n = ax === undefined ? a.size : shape[ax];
    if (indices < -n || indices >= n) {
      throw new RangeError(`take: index ${indices} is out of bounds for ${ax === undefined ? 'the flattened array' : `axis ${axis}`} of size ${n} (shape ${formatShape(shape)})`);
    }
    return wrap(native.take(a.handle, indices, ax, stream));
  }
  const idx = indexArrayArg(indices, 'take', 'indices');
  checkIndexValues('take', idx, ax === undefined ? a.size : shape[ax], ax === undefined ? `the flattened array of shape ${formatShape(shape)}` : `axis ${axis} of the array of shape ${formatShape(shape)}`);
  return wrap(native.take(a.handle, idx.handle, ax, stream));
}

/** takeAlongAxis(a, indices, axis?): numpy's take_along_axis; without an axis `a` is flattened. */
export function takeAlongAxis(a: MxArray, indices: MxArray, axis?: number | null, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'takeAlongAxis').shape;
  const idx = indexArrayArg(indices, 'takeAlongAxis', 'indices');
  if (axis === undefined || axis === null) {
    checkIndexValues('takeAlongAxis', idx, a.size, `the flattened array of shape ${formatShape(shape)}`);
    const flat = wrap(native.reshape(a.handle, [-1], stream));
    try {
      return wrap(native.takeAlongAxis(flat.handle, idx.handle, 0, stream));
    } finally {
      flat.dispose();
    }
  }
  const ax = axisArg(axis, shape, 'axis', 'takeAlongAxis');
  if (idx.ndim !== shape.length) {
    throw new ShapeError(`takeAlongAxis: indices of shape ${formatShape(idx.shape)} must have as many dimensions as the array of shape ${formatShape(shape)}`);
  }
  checkIndexValues('takeAlongAxis', idx, shape[ax], `axis ${axis} of the array of shape ${formatShape(shape)}`);
  return wrap(native.takeAlongAxis(a.handle, idx.handle, axis, stream));
}

/** putAlongAxis(a, indices, values, axis?): a copy of `a` with `values` written at `indices` along `axis`. */
export function putAlongAxis(a: MxArray, indices: MxArray, values: ArrayLike, axis?: number | null, stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'putAlongAxis').shape;
  const idx = indexArrayArg(indices, 'putAlongAxis', 'indices');
  const vals = operand(values, 'putAlongAxis values');
  if (axis === undefined || axis === null) {
    checkIndexValues('putAlongAxis', idx, a.size, `the flattened array of shape ${formatShape(shape)}`);
    const flat = wrap(native.reshape(a.handle, [-1], stream));
    const put = wrap(native.putAlongAxis(flat.handle, idx.handle, vals, 0, stream));
    try {
      return wrap(native.reshape(put.handle, shape, stream));
    } finally {
      flat.dispose();
      put.dispose();
    }
  }
  const ax = axisArg(axis, shape, 'axis', 'putAlongAxis');
  if (idx.ndim !== shape.length) {
    throw new ShapeError(`putAlongAxis: indices of shape ${formatShape(idx.shape)} must have as many dimensions as the array of shape ${formatShape(shape)}`);
  }
  checkIndexValues('putAlongAxis', idx, shape[ax], `axis ${axis} of the array of shape ${formatShape(shape)}`);
  return wrap(native.putAlongAxis(a.handle, idx.handle, vals, axis, stream));
}

/** A dynamic start holds one offset per entry of `axes`; each must leave room for the slice. */
function checkStarts(op: string, start: MxArray, axes: number[], shape: number[], span: (axis: number) => number): void {
  if (start.size !== axes.length) {
    throw new ShapeError(`${op}: start of shape ${formatShape(start.shape)} must hold one offset per axis in ${formatShape(axes)}`);
  }
  if (native.isTracer(start.handle)) return;
  const values = start.toTypedArray() as IndexValues;
  axes.forEach((x, k) => {
    const ax = x < 0 ? x + shape.length : x;
    const v = Number(values[k]);
    if (v < 0 || v + span(ax) > shape[ax]) {
      throw new RangeError(`${op}: start ${v} with a slice of ${span(ax)} is out of bounds for axis ${ax} of the array of shape ${formatShape(shape)}`);
    }
  });
}

function checkBounds(op: string, shape: number[], start: unknown, stop: unknown, strides: unknown) {
  const s = intListArg(start, 'start', op);
  const e = intListArg(stop, 'stop', op);
  const st = strides === undefined ? s.map(() => 1) : intListArg(strides, 'strides', op);
  if (s.length !== shape.length || e.length !== shape.length || st.length !== shape.length) {
    throw new ShapeError(`${op}: start, stop and strides need one entry per axis of the array of shape ${formatShape(shape)} but have lengths ${s.length}, ${e.length}, ${st.length}`);
  }
  if (st.some((x) => x === 0)) throw new RangeError(`${op}: strides must not be 0 but received ${formatShape(st)}`);
  return { s, e, st };
}

/**
 * slice(a, start, stop, strides?): the static slice a[start:stop:strides] per axis (one entry per axis).
 * slice(a, start: mx.array, axes, sliceSize): the dynamic slice whose start is an array (computed lazily).
 */
export function slice(a: MxArray, start: number[] | MxArray, stopOrAxes: number[], stridesOrSliceSize?: number[], stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'slice').shape;
  if (isMxArray(start)) {
    const axes = intListArg(stopOrAxes, 'axes', 'slice');
    const size = intListArg(stridesOrSliceSize, 'sliceSize', 'slice');
    axes.forEach((x) => axisArg(x, shape, 'axis', 'slice'));
    if (size.length !== shape.length) {
      throw new ShapeError(`slice: sliceSize ${formatShape(size)} needs one entry per axis of the array of shape ${formatShape(shape)}`);
    }
    const st = indexArrayArg(start, 'slice', 'start');
    checkStarts('slice', st, axes, shape, (ax) => size[ax]);
    return wrap(native.sliceDynamic(a.handle, st.handle, axes, size, stream));
  }
  const { s, e, st } = checkBounds('slice', shape, start, stopOrAxes, stridesOrSliceSize);
  return wrap(native.slice(a.handle, s, e, st, stream));
}

/**
 * sliceUpdate(a, update, start, stop, strides?): a copy of `a` with a[start:stop:strides] = update.
 * sliceUpdate(a, update, start: mx.array, axes): the same at a start computed lazily.
 */
export function sliceUpdate(a: MxArray, update: ArrayLike, start: number[] | MxArray, stopOrAxes: number[], strides?: number[], stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'sliceUpdate').shape;
  const upd = operand(update, 'sliceUpdate update');
  if (isMxArray(start)) {
    const axes = intListArg(stopOrAxes, 'axes', 'sliceUpdate');
    axes.forEach((x) => axisArg(x, shape, 'axis', 'sliceUpdate'));
    const st = indexArrayArg(start, 'sliceUpdate', 'start');
    const uShape = isMxArray(update) ? update.shape : [];
    checkStarts('sliceUpdate', st, axes, shape, (ax) => uShape[uShape.length - shape.length + ax] ?? 1);
    return wrap(native.sliceUpdateDynamic(a.handle, upd, st.handle, axes, stream));
  }
  const { s, e, st } = checkBounds('sliceUpdate', shape, start, stopOrAxes, strides);
  return wrap(native.sliceUpdate(a.handle, upd, s, e, st, stream));
}

function indexListArg(indices: MxArray | MxArray[], op: string): MxArray[] {
  const list = isMxArray(indices) ? [indices] : indices;
  if (!Array.isArray(list)) throw invalidArg('an mx.array or a list of mx.arrays', `${op} indices`, indices);
  return list.map((x, i) => indexArrayArg(x, op, `indices[${i}]`));
}

function axesFor(op: string, shape: number[], axes: number | number[], count: number): number[] {
  const list = intListArg(axes, 'axes', op, true);
  if (list.length !== count) throw new ShapeError(`${op}: ${count} index arrays need ${count} axes but received axes ${formatShape(list)}`);
  list.forEach((x) => axisArg(x, shape, 'axis', op));
  return list;
}

/**
 * gather(a, indices, axes, sliceSizes): for each position of the (broadcast) index arrays, the slice of
 * size `sliceSizes` starting at those indices along `axes`. Result shape: indices shape + sliceSizes.
 */
export function gather(a: MxArray, indices: MxArray | MxArray[], axes: number | number[], sliceSizes: number[], stream?: StreamArg): MxArray {
  const shape = arrayArg(a, 'gather').shape;
  const idx = indexListArg(indices, 'gather');
  const ax = axesFor('gather', shape, axes, idx.length);
  const sizes = intListArg(sliceSizes, 'sliceSizes', 'gather');
  if (sizes.length !== shape.length || sizes.some((d, i) => d < 0 || d > shape[i])) {
    throw new ShapeError(`gather: sliceSizes ${formatShape(sizes)} must give a size within each axis of the array of shape ${formatShape(shape)}`);
  }
  broadcastShapes('gather', ...idx.map((x) => x.shape));
  idx.forEach((x, k) => {
    const axk = ax[k] < 0 ? ax[k] + shape.length : ax[k];
    checkIndexValues('gather', x, shape[axk], `axis ${ax[k]} of the array of shape ${formatShape(shape)}`, sizes[axk]);
  });
  return wrap(native.gather(a.handle, idx.map((x) => x.handle), ax, sizes, stream));
}

function scatterArgs(op: string, a: MxArray, indices: MxArray | MxArray[], updates: ArrayLike, axes: number | number[], stream: StreamArg) {
  const shape = arrayArg(a, op).shape;
  const idx = indexListArg(indices, op);
  const ax = axesFor(op, shape, axes, idx.length);
  const b = broadcastShapes(op, ...idx.map((x) => x.shape));
  idx.forEach((x, k) => checkIndexValues(op, x, shape[ax[k] < 0 ? ax[k] + shape.length : ax[k]], `axis ${ax[k]} of the array of shape ${formatShape(shape)}`));
  // MLX wants updates of exactly (index shape) + (slice shape); like Python's a.at[...], broadcast to it.
  const want = [...b, ...shape.map((d, i) => (ax.includes(i) ? 1 : d))];
  const u = isMxArray(updates) ? arrayArg(updates, op, 'updates').shape : [];
  const fits = u.length <= want.length && u.every((d, i) => d === 1 || d === want[want.length - u.length + i]);
  if (!fits) {
    throw new ShapeError(`${op}: updates of shape ${formatShape(u)} cannot be broadcast to ${formatShape(want)} (the index shape ${formatShape(b)} followed by one slice of the array of shape ${formatShape(shape)})`);
  }
  const same = u.length === want.length && u.every((d, i) => d === want[i]);
  const upd = same ? null : wrap(native.broadcastTo(operand(updates, `${op} updates`), want, stream));
  return { idx: idx.map((x) => x.handle), ax, upd: upd ? upd.handle : operand(updates, `${op} updates`), temp: upd };
}

/**
 * scatter(a, indices, updates, axes): a copy of `a` with `updates` written at the index arrays along
 * `axes`. updates has shape (index shape) + (a slice of `a` per index: its shape with 1 on `axes`), or
 * broadcasts to it (a scalar, or the slice without the 1s).
 * Duplicate indices: one of the writes wins. Index values are bounds-checked (see checkIndexValues).
 */
export function scatter(a: MxArray, indices: MxArray | MxArray[], updates: ArrayLike, axes: number | number[], stream?: StreamArg): MxArray {
  const { idx, ax, upd, temp } = scatterArgs('scatter', a, indices, updates, axes, stream);
  try {
    return wrap(native.scatter(a.handle, idx, upd, ax, stream));
  } finally {
    temp?.dispose();
  }
}

/** scatterAdd(a, indices, updates, axes): like scatter but adds; duplicate indices accumulate. */
export function scatterAdd(a: MxArray, indices: MxArray | MxArray[], updates: ArrayLike, axes: number | number[], stream?: StreamArg): MxArray {
  const { idx, ax, upd, temp } = scatterArgs('scatterAdd', a, indices, updates, axes, stream);
  try {
    return wrap(native.scatterAdd(a.handle, idx, upd, ax, stream));
  } finally {
    temp?.dispose();
  }
}

// ---- mx.index ---------------------------------------------------------------------------------------

export interface SliceSpec {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}
export type IndexItem = number | string | null | SliceSpec | MxArray | number[];

type Entry =
  | { kind: 'new' }
  | { kind: 'int'; axis: number; index: number }
  | { kind: 'slice'; axis: number; start: number; stop: number; step: number; length: number }
  | { kind: 'array'; axis: number; array: MxArray; owned: boolean };

function parseSliceString(text: string, op: string): SliceSpec {
  const parts = text.split(':');
  const num = (p: string, what: string): number | null => {
    const t = p.trim();
    if (t === '') return null;
    if (!/^[+-]?\d+$/.test(t)) throw new TypeError(`${op}: bad slice string '${text}': ${what} '${t}' is not an integer`);
    return Number(t);
  };
  if (parts.length < 2 || parts.length > 3) {
    throw new TypeError(`${op}: bad index string '${text}': expected a slice like '1:3', '::2' or ':' or '...'`);
  }
  return { start: num(parts[0], 'start'), stop: num(parts[1], 'stop'), step: parts.length === 3 ? num(parts[2], 'step') : null };
}

/** Python's slice.indices(n): clamped start/stop for the given step, and the resulting length. */
function resolveSlice(spec: SliceSpec, n: number, shape: number[], op: string): { start: number; stop: number; step: number; length: number } {
  const step = spec.step ?? 1;
  for (const [k, v] of Object.entries(spec)) {
    if (!['start', 'stop', 'step'].includes(k)) throw new TypeError(`${op}: unknown slice key '${k}' (use start, stop, step)`);
    if (v !== null && v !== undefined) intArg(v, `slice ${k}`, op);
  }
  if (step === 0) throw new RangeError(`${op}: slice step must not be 0 (array of shape ${formatShape(shape)})`);
  const clamp = (v: number | null | undefined, dflt: number): number => {
    if (v === null || v === undefined) return dflt;
    if (v < 0) v += n;
    return step > 0 ? Math.min(Math.max(v, 0), n) : Math.min(Math.max(v, -1), n - 1);
  };
  const start = clamp(spec.start, step > 0 ? 0 : n - 1);
  const stop = clamp(spec.stop, step > 0 ? n : -1);
  const length = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
  return { start, stop, step, length };
}

function parseIndex(a: MxArray, items: IndexItem[], op: string): Entry[] {
  const shape = a.shape;
  const ellipses = items.filter((x) => x === '...').length;
  if (ellipses > 1) throw new TypeError(`${op}: at most one '...' is allowed but received ${ellipses}`);
  const consuming = items.filter((x) => x !== null && x !== '...').length;
  if (consuming > shape.length) {
    throw new RangeError(`${op}: too many indices for an array of shape ${formatShape(shape)}: ${consuming} were given`);
  }
  const expanded: IndexItem[] = [];
  for (const x of items) {
    if (x === '...') for (let i = 0; i < shape.length - consuming; i++) expanded.push(':');
    else expanded.push(x);
  }
  if (ellipses === 0) for (let i = consuming; i < shape.length; i++) expanded.push(':');

  const entries: Entry[] = [];
  let axis = 0;
  for (const item of expanded) {
    if (item === null) {
      entries.push({ kind: 'new' });
      continue;
    }
    const n = shape[axis];
    if (typeof item === 'number') {
      intArg(item, `index for axis ${axis}`, op);
      if (item < -n || item >= n) {
        throw new RangeError(`${op}: index ${item} is out of bounds for axis ${axis} with size ${n} (array of shape ${formatShape(shape)})`);
      }
      entries.push({ kind: 'int', axis, index: item < 0 ? item + n : item });
    } else if (typeof item === 'string') {
      entries.push({ kind: 'slice', axis, ...resolveSlice(parseSliceString(item, op), n, shape, op) });
    } else if (isMxArray(item)) {
      const arr = indexArrayArg(item, op, `index for axis ${axis}`);
      checkIndexValues(op, arr, n, `axis ${axis} of the array of shape ${formatShape(shape)}`);
      entries.push({ kind: 'array', axis, array: arr, owned: false });
    } else if (Array.isArray(item)) {
      item.forEach((v, i) => {
        intArg(v, `index for axis ${axis} [${i}]`, op);
        if (v < -n || v >= n) throw new RangeError(`${op}: index ${v} is out of bounds for axis ${axis} of the array of shape ${formatShape(shape)} with size ${n}`);
      });
      entries.push({ kind: 'array', axis, array: makeArray(item, 'int32'), owned: true });
    } else if (typeof item === 'object') {
      entries.push({ kind: 'slice', axis, ...resolveSlice(item, n, shape, op) });
    } else {
      throw invalidArg("an integer, a slice string like '1:3', a {start, stop, step} object, null, '...' or an integer mx.array", `index for axis ${axis}`, item);
    }
    axis++;
  }
  return entries;
}

/** How an index maps onto MLX ops; shared by mx.index (read) and .at(...) (write). */
interface IndexPlan {
  /** Bounds of the one static slice (Python's -1 stop already turned into -n-1, see below). */
  start: number[];
  stop: number[];
  strides: number[];
  sliced: boolean;
  /** Integer and array entries when any array is present (numpy's "advanced" indices), else empty. */
  advanced: (Entry & { kind: 'int' | 'array' })[];
  /** Broadcast shape of the advanced indices. */
  b: number[];
  /** Whether the advanced entries are next to each other, and how many slice axes come before them. */
  adjacent: boolean;
  before: number;
  /** The shape of mx.index's result. */
  resultShape: number[];
}

function planIndex(shape: number[], entries: Entry[], op: string): IndexPlan {
  const hasArray = entries.some((e) => e.kind === 'array');
  const start = shape.map(() => 0);
  const stop = [...shape];
  const strides = shape.map(() => 1);
  let sliced = false;
  for (const e of entries) {
    if (e.kind === 'slice') {
      // mx.slice adds n to a negative bound; Python's -1 ("before the first element") becomes -n-1.
      start[e.axis] = e.start < 0 ? -shape[e.axis] - 1 : e.start;
      stop[e.axis] = e.stop < 0 ? -shape[e.axis] - 1 : e.stop;
      strides[e.axis] = e.step;
      sliced ||= e.start !== 0 || e.stop !== shape[e.axis] || e.step !== 1;
    } else if (e.kind === 'int' && !hasArray) {
      start[e.axis] = e.index;
      stop[e.axis] = e.index + 1;
      sliced = true;
    }
  }
  const dim = (e: Entry) => (e.kind === 'slice' ? e.length : 1);
  if (!hasArray) {
    const resultShape = entries.filter((e) => e.kind !== 'int').map(dim);
    return { start, stop, strides, sliced, advanced: [], b: [], adjacent: true, before: 0, resultShape };
  }
  const advanced = entries.filter((e): e is Entry & { kind: 'int' | 'array' } => e.kind === 'int' || e.kind === 'array');
  const b = broadcastShapes(op, ...advanced.map((e) => (e.kind === 'array' ? e.array.shape : [])));
  // numpy's placement rule: adjacent advanced indices keep their place in the result; otherwise they lead.
  const positions = entries.map((e, i) => (e.kind === 'int' || e.kind === 'array' ? i : -1)).filter((i) => i >= 0);
  const adjacent = positions[positions.length - 1] - positions[0] === positions.length - 1;
  const before = adjacent ? entries.slice(0, positions[0]).filter((e) => e.kind === 'slice').length : 0;
  const resultShape: number[] = adjacent ? [] : [...b];
  entries.forEach((e, i) => {
    if (adjacent && i === positions[0]) resultShape.push(...b);
    else if (e.kind === 'new' || e.kind === 'slice') resultShape.push(dim(e));
  });
  return { start, stop, strides, sliced, advanced, b, adjacent, before, resultShape };
}

/** Disposes what it made once the caller has its result (MLX keeps what the graph still needs). */
class Temps {
  readonly list: MxArray[] = [];
  add(h: ReturnType<typeof native.slice>): MxArray {
    const out = wrap(h);
    this.list.push(out);
    return out;
  }
  indexArrays(plan: IndexPlan): MxArray[] {
    return plan.advanced.map((e) => {
      if (e.kind === 'array') return e.array;
      const scalar = makeArray(e.index, 'int32');
      this.list.push(scalar);
      return scalar;
    });
  }
  dispose(): void {
    for (const t of this.list) t.dispose();
  }
}

/** Runs `body` on the parsed index; native errors get the public op's name; owned index arrays are freed. */
function withIndex<T>(op: string, a: MxArray, items: IndexItem[], body: (entries: Entry[], temps: Temps) => T): T {
  const entries = parseIndex(arrayArg(a, op), items, op);
  const temps = new Temps();
  try {
    return body(entries, temps);
  } catch (err) {
    // The native steps name themselves (slice, gather, …); the user called `op`.
    if (err instanceof Error && !err.message.startsWith(`${op}:`)) err.message = `${op}: ${err.message}`;
    throw err;
  } finally {
    temps.dispose();
    for (const e of entries) if (e.kind === 'array' && e.owned) e.array.dispose();
  }
}

/** mx.index(a, ...items): numpy-style indexing of `a` (see the spec at the top of this file). */
export function index(a: MxArray, ...items: IndexItem[]): MxArray {
  return withIndex('index', a, items, (entries, temps) => {
    const plan = planIndex(a.shape, entries, 'index');
    let cur = plan.sliced ? temps.add(native.slice(a.handle, plan.start, plan.stop, plan.strides)) : a;
    if (plan.advanced.length === 0) return wrap(native.reshape(cur.handle, plan.resultShape));

    // Gather over the advanced axes at once; each gathered slice is 1 long on those axes.
    const axes = plan.advanced.map((e) => e.axis);
    const curShape = cur.shape;
    const sliceSizes = curShape.map((d, i) => (axes.includes(i) ? 1 : d));
    cur = temps.add(native.gather(cur.handle, temps.indexArrays(plan).map((x) => x.handle), axes, sliceSizes));
    const rest = curShape.filter((_, i) => !axes.includes(i));
    cur = temps.add(native.reshape(cur.handle, [...plan.b, ...rest]));
    const nb = plan.b.length;
    if (plan.before > 0 && nb > 0) {
      // [B, pre, post] → [pre, B, post]
      const perm = [...Array(plan.before).keys()].map((i) => nb + i);
      perm.push(...plan.b.keys());
      for (let i = nb + plan.before; i < nb + rest.length; i++) perm.push(i);
      cur = temps.add(native.transpose(cur.handle, perm));
    }
    return wrap(native.reshape(cur.handle, plan.resultShape));
  });
}

/** The writers returned by `.at(...)`: each returns a new array (MLX arrays are immutable). */
export interface IndexUpdater {
  /** a[...] = value */
  set(value: ArrayLike): MxArray;
  /** a[...] += value, where repeated array indices accumulate (Python's a.at[...].add). */
  add(value: ArrayLike): MxArray;
}

/**
 * at(a, ...items): writers for the positions mx.index(a, ...items) would read. The value broadcasts to
 * that result's shape. With array indices, the other axes must be taken whole (':' or omitted).
 */
export function at(a: MxArray, ...items: IndexItem[]): IndexUpdater {
  arrayArg(a, 'at');
  return {
    set: (value) => update(a, items, value, 'set'),
    add: (value) => update(a, items, value, 'add'),
  };
}

/**
 * A scalar value meets `a` the way Python's a.at[...] types it: weakly, against a's dtype (so an
 * integer that a's dtype cannot hold is refused instead of wrapping). Adding it to a 0-d zero of a's
 * dtype is that conversion, done by the native scalar rule every other op uses.
 */
function typedAgainst(a: MxArray, value: ArrayLike, op: string, temps: Temps) {
  if (isMxArray(value)) return arrayArg(value, op, 'value').handle;
  const zero = temps.add(native.zeros([], dtypeCode(a.dtype)));
  return temps.add(native.add(zero.handle, operand(value, `${op} value`))).handle;
}

function update(a: MxArray, items: IndexItem[], value: ArrayLike, mode: 'set' | 'add'): MxArray {
  const op = `at().${mode}`;
  return withIndex(op, a, items, (entries, temps) => {
    const shape = a.shape;
    const plan = planIndex(shape, entries, op);
    const vShape = isMxArray(value) ? arrayArg(value, op, 'value').shape : [];
    const want = plan.resultShape;
    if (vShape.length > want.length || !vShape.every((d, i) => d === 1 || d === want[want.length - vShape.length + i])) {
      throw new ShapeError(`${op}: a value of shape ${formatShape(vShape)} cannot be broadcast to the indexed shape ${formatShape(want)} (array of shape ${formatShape(shape)})`);
    }
    const v = temps.add(native.broadcastTo(typedAgainst(a, value, op, temps), want));

    if (plan.advanced.length === 0) {
      // The slice with integer axes kept as length 1, newaxes dropped: same size as the value.
      const target = shape.map((d, i) => {
        const e = entries.find((x) => x.kind !== 'new' && x.axis === i);
        return e?.kind === 'slice' ? e.length : 1;
      });
      const upd = temps.add(native.reshape(v.handle, target));
      const write = mode === 'set' ? native.sliceUpdate : native.sliceUpdateAdd;
      return wrap(write(a.handle, upd.handle, plan.start, plan.stop, plan.strides));
    }

    for (const e of entries) {
      if (e.kind === 'slice' && (e.start !== 0 || e.stop !== shape[e.axis] || e.step !== 1)) {
        throw new TypeError(`${op}: with array indices, the other axes must be taken whole (':'), but axis ${e.axis} of the array of shape ${formatShape(shape)} is sliced`);
      }
    }
    // Value in index layout → scatter layout: [B, axes not indexed] with 1s on the indexed axes.
    const axes = plan.advanced.map((e) => e.axis);
    const nb = plan.b.length;
    const rest = shape.filter((_, i) => !axes.includes(i));
    const pre = rest.slice(0, plan.before);
    let cur = temps.add(native.reshape(v.handle, plan.before > 0 ? [...pre, ...plan.b, ...rest.slice(plan.before)] : [...plan.b, ...rest]));
    if (plan.before > 0 && nb > 0) {
      // [pre, B, post] → [B, pre, post]
      const perm = [...Array(nb).keys()].map((i) => plan.before + i);
      perm.push(...Array(plan.before).keys());
      for (let i = plan.before + nb; i < nb + rest.length; i++) perm.push(i);
      cur = temps.add(native.transpose(cur.handle, perm));
    }
    cur = temps.add(native.reshape(cur.handle, [...plan.b, ...shape.map((d, i) => (axes.includes(i) ? 1 : d))]));
    const write = mode === 'set' ? native.scatter : native.scatterAdd;
    return wrap(write(a.handle, temps.indexArrays(plan).map((x) => x.handle), cur.handle, axes));
  });
}
