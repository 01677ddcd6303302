/**
 * mlx-train's fused optimizer primitives (native/fused/optim.cc): one multi-threaded, vectorised pass
 * updates every parameter of a tree, and one pass sums the squares of every gradient for the global-norm
 * clip. float32 on the CPU only; src/optim takes them when {@link fusedOptimizerApplies} says so and runs
 * the stock op chain otherwise. They are not differentiable (optimizer updates never are).
 */
import { native } from './binding.js';
import type { MxArray } from './array.js';
import { wrap, wrapMany } from './handle.js';
import { arrayOf } from './op-args.js';
import { defaultDevice } from './device.js';
import { fusedKernelsEnabled } from './fused-kernels.js';

export type FusedOptimizerKind = 'adam' | 'sgd' | 'lion';

/** The constant hyperparameters of one update rule (mlx.optimizers semantics). */
export interface FusedOptimizerConfig {
  kind: FusedOptimizerKind;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** AdamW's and Lion's decoupled decay, SGD's L2 term. */
  weightDecay?: number;
  /** Adam: scale the parameter by (1 − lr·weightDecay) first (AdamW). */
  decoupledDecay?: boolean;
  biasCorrection?: boolean;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

/** True when the fused kernels are on, the default device is the CPU and every array is float32. */
export function fusedOptimizerApplies(arrays: Iterable<MxArray>): boolean {
  if (!fusedKernelsEnabled() || defaultDevice().type !== 'cpu') return false;
  for (const a of arrays) if (a.dtype !== 'float32') return false;
  return true;
}

const list = (arrays: MxArray[], what: string) => arrays.map((a, i) => arrayOf(a, 'fusedOptimizerUpdate', `${what}[${i}]`));

/**
 * One update of every parameter: gradients are multiplied by `gradScale` first; `step` is the step
 * count after this update. `states` holds the per-parameter states in parameter order (Adam m, v; SGD
 * with momentum v; Lion m). Returns per parameter the new parameter, then its new states.
 */
export function fusedOptimizerUpdate(config: FusedOptimizerConfig, learningRate: MxArray, step: MxArray, gradScale: MxArray,
  params: MxArray[], grads: MxArray[], states: MxArray[]): MxArray[] {
  const c = config;
  const hyper = [c.beta1 ?? 0, c.beta2 ?? 0, c.eps ?? 0, c.weightDecay ?? 0, c.decoupledDecay ? 1 : 0, c.biasCorrection ? 1 : 0,
    c.momentum ?? 0, c.dampening ?? 0, c.nesterov ? 1 : 0];
  return wrapMany(native.fusedOptimizerUpdate(c.kind, hyper, arrayOf(learningRate, 'fusedOptimizerUpdate', 'learningRate'),
    arrayOf(step, 'fusedOptimizerUpdate', 'step'), arrayOf(gradScale, 'fusedOptimizerUpdate', 'gradScale'),
    list(params, 'params'), list(grads, 'grads'), list(states, 'states')));
}

/** Σ x² over every element of every array (float32 scalar, accumulated in double). */
export function fusedSumOfSquares(arrays: MxArray[]): MxArray {
  return wrap(native.fusedSumOfSquares(arrays.map((a, i) => arrayOf(a, 'fusedSumOfSquares', `arrays[${i}]`))));
}
