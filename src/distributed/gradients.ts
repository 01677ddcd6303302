/** Gradient averaging for data-parallel training (mlx.nn.average_gradients' job). */
import type { MxArray } from '../core/array.js';
import { divide } from '../core/ops.js';
import { concatenate, reshape, split } from '../core/shape.js';
import { treeArrays, treeReplaceArrays } from '../core/tree.js';
import type { Group } from './group.js';
import { getDefaultGroup } from './init.js';
import { allSum, evalCollective } from './ops.js';

export interface AverageOptions {
  /**
   * Flatten all gradients of one dtype into a single buffer for one all-reduce, then split it back
   * (default true): one round trip per dtype instead of one per parameter, which is what pays on TCP.
   */
  flatten?: boolean;
  /** Evaluate the averaged gradients now, under the distributed deadline (default false: stay lazy, e.g. inside mx.compile). */
  evaluate?: boolean;
  timeoutMs?: number;
}

/**
 * The mean over the group of every array in `grads` (any tree of arrays), with the same structure.
 * With a group of one the tree is returned unchanged.
 */
export function averageGradients<T>(grads: T, group: Group = getDefaultGroup(), opts: AverageOptions = {}): T {
  const size = group.size();
  if (size === 1) return grads;
  const leaves = treeArrays(grads, 'gradients');
  const averaged: MxArray[] = new Array(leaves.length);
  if (opts.flatten ?? true) {
    const byDtype = new Map<string, number[]>();
    leaves.forEach((g, i) => byDtype.set(g.dtype, [...(byDtype.get(g.dtype) ?? []), i]));
    for (const indices of byDtype.values()) {
      const flat = concatenate(indices.map((i) => reshape(leaves[i], [-1])), 0);
      const mean = divide(allSum(flat, { group }), size);
      const offsets: number[] = [];
      let at = 0;
      for (const i of indices.slice(0, -1)) offsets.push((at += leaves[i].size));
      const parts = offsets.length ? split(mean, offsets, 0) : [mean];
      indices.forEach((i, k) => (averaged[i] = reshape(parts[k], leaves[i].shape)));
    }
  } else {
    leaves.forEach((g, i) => (averaged[i] = divide(allSum(g, { group }), size)));
  }
  if (opts.evaluate) evalCollective(averaged, { timeoutMs: opts.timeoutMs, label: 'averageGradients all-reduce' });
  return treeReplaceArrays(grads, averaged) as T;
}
