/**
 * Data-parallel hook: the gradients of every rank are averaged (src/distributed's averageGradients, one
 * all-reduce per dtype) before clipping and the update. A process started alone never joins a group:
 * the world is one and the gradients pass through untouched.
 */
import * as mx from '../core/index.js';
import { allSum, averageGradients, evalCollective, getDefaultGroup, isInitialized } from '../distributed/index.js';
import { defaultTimeoutMs, withDeadline } from '../distributed/timeout.js';

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

/** The sum of a number over every rank of the group (evaluated now, under the distributed deadline). */
export function sumOverRanks(value: number): number {
  if (worldSize() === 1) return value;
  const total = allSum(mx.array(value, 'float32'), { group: getDefaultGroup() });
  evalCollective([total], { label: 'loss normalizer all-reduce' });
  return total.item() as number;
}

/**
 * In a group of two or more, every optimizer step (which waits on the gradient all-reduce) runs under the
 * distributed deadline (MLX_TRAIN_DIST_TIMEOUT_MS, `mlx-train launch --timeout`): a peer that stalls, or
 * vanishes without closing its socket, ends this rank with exit 124 and a message instead of a hang. A
 * peer that dies outright is usually seen at once (MLX's ring backend reports the closed connection); in
 * the runs where its error path misses the waiting eval (a race inside MLX), the deadline ends it.
 */
// Typed by shape, not by TrainStep: step.ts imports this module, so naming TrainStep here would close a circle.
export function guardStepDeadline<A extends unknown[], R>(step: { run: (...args: A) => R }): void {
  if (worldSize() === 1) return;
  const run = step.run.bind(step);
  step.run = (...args: A) => withDeadline('training step (waiting on the gradient all-reduce)', defaultTimeoutMs(), () => run(...args));
}
