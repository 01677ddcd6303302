/**
 * Collective and point-to-point ops (mlx.core.distributed's all_sum, all_gather, … in camelCase). They
 * are lazy like every MLX op: the communication happens when the result is evaluated, so evaluate with
 * `evalCollective` to bound the wait if a peer may die.
 */
import { MxArray } from '../core/array.js';
import { native } from '../core/binding.js';
import type { StreamArg } from '../core/binding.js';
import { dtypeCode, type Dtype } from '../core/dtype.js';
import { handleOf, wrap } from '../core/handle.js';
import { DistributedError } from './init.js';
import type { Group } from './group.js';
import { defaultTimeoutMs, withDeadline } from './timeout.js';

export interface CollectiveOptions {
  /** The group to communicate in (default: the group of the first `init`). */
  group?: Group;
  stream?: StreamArg;
}

function groupHandle(group: Group | undefined, op: string) {
  if (group === undefined) return undefined;
  if (group === null || typeof group !== 'object' || !('handle' in group)) throw new TypeError(`${op}: expected a distributed Group for group but received ${String(group)}`);
  return group.handle;
}

function rankArg(value: number, name: string, op: string, group?: Group): number {
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${op}: expected a rank (integer ≥ 0) for ${name} but received ${String(value)}`);
  if (group && value >= group.size()) throw new RangeError(`${op}: ${name}=${value} but the group has ${group.size()} processes`);
  return value;
}

/** The element-wise sum of `x` over every process in the group. */
export function allSum(x: MxArray, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedAllSum(handleOf(x, 'x'), groupHandle(opts.group, 'allSum'), opts.stream));
}

/** The `x` of every process concatenated along axis 0, in rank order. */
export function allGather(x: MxArray, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedAllGather(handleOf(x, 'x'), groupHandle(opts.group, 'allGather'), opts.stream));
}

/** The element-wise maximum of `x` over the group. */
export function allMax(x: MxArray, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedAllMax(handleOf(x, 'x'), groupHandle(opts.group, 'allMax'), opts.stream));
}

/** The element-wise minimum of `x` over the group. */
export function allMin(x: MxArray, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedAllMin(handleOf(x, 'x'), groupHandle(opts.group, 'allMin'), opts.stream));
}

/** Sums `x` over the group and keeps this rank's slice of axis 0 (not supported by the ring backend). */
export function sumScatter(x: MxArray, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedSumScatter(handleOf(x, 'x'), groupHandle(opts.group, 'sumScatter'), opts.stream));
}

/** Sends `x` to rank `dst` (the ring backend only reaches its two neighbours). Evaluate the result to send. */
export function send(x: MxArray, dst: number, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedSend(handleOf(x, 'x'), rankArg(dst, 'dst', 'send', opts.group), groupHandle(opts.group, 'send'), opts.stream));
}

/** Receives an array of `shape` and `dtype` from rank `src`. */
export function recv(shape: number[], dtype: Dtype, src: number, opts: CollectiveOptions = {}): MxArray {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new TypeError(`recv: expected a shape (list of integers ≥ 0) for shape but received ${String(shape)}`);
  return wrap(native.distributedRecv(shape, dtypeCode(dtype), rankArg(src, 'src', 'recv', opts.group), groupHandle(opts.group, 'recv'), opts.stream));
}

/** Receives an array shaped and typed like `like` from rank `src`. */
export function recvLike(like: MxArray, src: number, opts: CollectiveOptions = {}): MxArray {
  return wrap(native.distributedRecvLike(handleOf(like, 'like'), rankArg(src, 'src', 'recvLike', opts.group), groupHandle(opts.group, 'recvLike'), opts.stream));
}

/**
 * Evaluates arrays whose graphs contain collectives with a deadline (default MLX_TRAIN_DIST_TIMEOUT_MS
 * or 120 s): if a peer is gone the process reports it and exits with code 124 rather than hang.
 */
export function evalCollective(arrays: MxArray[], opts: { timeoutMs?: number; label?: string } = {}): void {
  const handles = arrays.map((a, i) => {
    if (!(a instanceof MxArray)) throw new TypeError(`evalCollective: expected an mx.array at index ${i}`);
    return a.handle;
  });
  const label = opts.label ?? 'collective';
  try {
    withDeadline(label, opts.timeoutMs ?? defaultTimeoutMs(), () => native.eval(handles));
  } catch (err) {
    throw new DistributedError(`${label} failed: ${(err as Error).message}`);
  }
}
