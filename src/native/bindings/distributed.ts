/** Native exports of native/distributed.cc: MLX's distributed groups and collective ops. */
import type { Handle, StreamArg } from '../types.js';

declare const groupBrand: unique symbol;
/** An opaque MLX `distributed::Group` (a tagged External freed by the GC). */
export type GroupHandle = { readonly [groupBrand]: true };

export interface DistributedBinding {
  /** Whether `backend` (any backend when omitted) is usable in this libmlx. */
  distributedIsAvailable(backend?: string): boolean;
  /** MLX's `distributed::init(strict, backend)` (blocks until the ring's neighbours connect). */
  distributedInit(strict: boolean, backend: string): GroupHandle;
  distributedGroupRank(group: GroupHandle): number;
  distributedGroupSize(group: GroupHandle): number;
  distributedGroupSplit(group: GroupHandle, color: number, key: number): GroupHandle;
  distributedAllSum(x: Handle, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedAllGather(x: Handle, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedAllMax(x: Handle, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedAllMin(x: Handle, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedSumScatter(x: Handle, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedSend(x: Handle, dst: number, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedRecv(shape: number[], dtype: number, src: number, group?: GroupHandle, stream?: StreamArg): Handle;
  distributedRecvLike(like: Handle, src: number, group?: GroupHandle, stream?: StreamArg): Handle;
  /** Arms the process watchdog (timeoutMs > 0): past it, `label` is reported and the process exits 124. timeoutMs <= 0 disarms. */
  distributedWatchdog(timeoutMs: number, label?: string): void;
}
