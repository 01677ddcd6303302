/**
 * Data-parallel hook: the gradients of every rank are averaged (src/distributed's averageGradients, one
 * all-reduce per dtype) before clipping and the update. A process started alone never joins a group:
 * the world is one and the gradients pass through untouched.
 */
import { averageGradients, getDefaultGroup, isInitialized } from '../distributed/index.js';

type Tree = Record<string, unknown>;

/** A group exists, or this process was started by the launcher (MLX_RANK + MLX_HOSTFILE). */
function inGroup(): boolean {
  return isInitialized() || (process.env.MLX_RANK !== undefined && process.env.MLX_HOSTFILE !== undefined);
}

/** Number of processes in the distributed group (1 when none). */
export function worldSize(): number {
  return inGroup() ? getDefaultGroup().size() : 1;
}

/** This process's rank (0 when there is no group): only rank 0 tracks and writes checkpoints. */
export function rank(): number {
  return inGroup() ? getDefaultGroup().rank() : 0;
}

/** Averages gradients over the group (lazily, so it fits inside a compiled step); a world of one is a no-op. */
export function allReduceGradients(grads: Tree): Tree {
  return worldSize() === 1 ? grads : averageGradients(grads, getDefaultGroup());
}
