/** Native exports of native/fused/optim_bindings.cc: the fused optimizer primitives. */
import type { Handle, StreamArg } from '../types.js';

export interface OptimBinding {
  /** hyper: [beta1, beta2, eps, weightDecay, decoupledDecay, biasCorrection, momentum, dampening, nesterov]. */
  fusedOptimizerUpdate(kind: 'adam' | 'sgd' | 'lion', hyper: number[], learningRate: Handle, step: Handle, gradScale: Handle,
    params: Handle[], grads: Handle[], states: Handle[], s?: StreamArg): Handle[];
  fusedSumOfSquares(arrays: Handle[], s?: StreamArg): Handle;
}
