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
 * Parameters per primitive. mx.compile's graph simplification compares every pair of arrays that read
 * the same input, and all outputs of one primitive read all of its inputs: a single primitive over
 * MiniLM's 80 parameter arrays (240 outputs) took ~1.2 s to trace, paid by every Trainer (each fold, each
 * sweep trial). Chunks of 8 bound that at 24 outputs; each chunk still spreads its elements over the pool.
 */
const PARAMS_PER_PRIMITIVE = 8;

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
  const [lr, t, scale] = [arrayOf(learningRate, 'fusedOptimizerUpdate', 'learningRate'), arrayOf(step, 'fusedOptimizerUpdate', 'step'), arrayOf(gradScale, 'fusedOptimizerUpdate', 'gradScale')];
  const [p, g, s] = [list(params, 'params'), list(grads, 'grads'), list(states, 'states')];
  const perParam = params.length ? states.length / params.length : 0;
  // Mismatched lists go to the native side whole, which names the counts it expected.
  const chunk = grads.length === params.length && Number.isInteger(perParam) ? PARAMS_PER_PRIMITIVE : Infinity;
  const out: MxArray[] = [];
  // At least one call, so an empty tree still reaches the native argument checks.
  for (let i = 0; i < Math.max(1, params.length); i += chunk) {
    const j = i + chunk;
    out.push(...wrapMany(native.fusedOptimizerUpdate(c.kind, hyper, lr, t, scale, p.slice(i, j), g.slice(i, j), s.slice(i * perParam, j * perParam))));
  }
  return out;
}

/** Σ x² over every element of every array (float32 scalar, accumulated in double). */
export function fusedSumOfSquares(arrays: MxArray[]): MxArray {
  return wrap(native.fusedSumOfSquares(arrays.map((a, i) => arrayOf(a, 'fusedSumOfSquares', `arrays[${i}]`))));
}
