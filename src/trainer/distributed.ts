/**
 * Data-parallel hook: the gradients of every rank are averaged before clipping and the update. The MLX
 * binding has no distributed group yet (no `native.distributedInit`), so the world is one process and
 * averaging is the identity; once a group exists this is the one place that calls its all-sum.
 */
import { native } from '../core/binding.js';

type Tree = Record<string, unknown>;

interface DistributedBinding {
  distributedIsAvailable?: () => boolean;
  distributedWorldSize?: () => number;
  distributedRank?: () => number;
}

const binding = native as unknown as DistributedBinding;

/** Number of processes in the distributed group (1 when none is initialised). */
export function worldSize(): number {
  return binding.distributedIsAvailable?.() ? (binding.distributedWorldSize?.() ?? 1) : 1;
}

/** This process's rank (0 when there is no group): only rank 0 logs and writes checkpoints. */
export function rank(): number {
  return binding.distributedIsAvailable?.() ? (binding.distributedRank?.() ?? 0) : 0;
}

/** Averages gradients over the group; with a world of one it returns them unchanged. */
export function allReduceGradients(grads: Tree): Tree {
  if (worldSize() === 1) return grads;
  throw new Error('allReduceGradients: a distributed group is initialised but the binding has no all-sum yet');
}
