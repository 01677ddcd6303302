/**
 * Activation functions and their Module forms, as mlx.nn: gelu (exact, erf), geluApprox ('precise'/'tanh':
 * the tanh formula), geluFastApprox ('fast': x·σ(1.702x)), silu, relu, tanh.
 * gelu and geluApprox take mx.fused's primitives for float32 (one multi-threaded pass each way on the
 * CPU, where the op chain below is several single-threaded passes); other dtypes, and every dtype while
 * the fused kernels are switched off (MLX_TRAIN_FUSED=0), keep mlx.nn's op chain.
 */
import type { MxArray } from '../../core/array.js';
import { add, divide, erf, maximum, multiply, power, sigmoid, tanh as tanhOp } from '../../core/ops.js';
import { gelu as fusedGelu, geluApprox as fusedGeluApprox } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import { Module } from '../module.js';
import { checkArray } from './checks.js';

/** x·Φ(x) with the exact Gaussian CDF. */
export function gelu(x: MxArray): MxArray {
  if (x.dtype === 'float32' && fusedKernelsEnabled()) return fusedGelu(x);
  return divide(multiply(x, add(erf(divide(x, Math.SQRT2)), 1)), 2);
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), max abs error < 5e-4 against gelu. */
export function geluApprox(x: MxArray): MxArray {
  if (x.dtype === 'float32' && fusedKernelsEnabled()) return fusedGeluApprox(x);
  const inner = multiply(add(x, multiply(power(x, 3), 0.044715)), Math.sqrt(2 / Math.PI));
  return multiply(multiply(x, 0.5), add(tanhOp(inner), 1));
}

/** x·σ(1.702·x). */
export function geluFastApprox(x: MxArray): MxArray {
  return multiply(x, sigmoid(multiply(x, 1.702)));
}

export function silu(x: MxArray): MxArray {
  return multiply(x, sigmoid(x));
}

export function relu(x: MxArray): MxArray {
  return maximum(x, 0);
}

export function tanh(x: MxArray): MxArray {
  return tanhOp(x);
}

export type GeluApprox = 'none' | 'precise' | 'tanh' | 'fast';

export class GELU extends Module {
  readonly approx: GeluApprox;

  constructor(approx: GeluApprox = 'none') {
    super();
    if (!['none', 'precise', 'tanh', 'fast'].includes(approx)) {
      throw new TypeError(`GELU: the approximation should be one of none, precise, tanh, fast but received '${approx}'`);
    }
    this.approx = approx;
  }

  protected override extraRepr(): string {
    return this.approx === 'none' ? '' : `approx=${this.approx}`;
  }

  override forward(x: MxArray): MxArray {
    checkArray(this, x);
    if (this.approx === 'none') return gelu(x);
    return this.approx === 'fast' ? geluFastApprox(x) : geluApprox(x);
  }
}

export class SiLU extends Module {
  override forward(x: MxArray): MxArray {
    return silu(checkArray(this, x));
  }
}

export class ReLU extends Module {
  override forward(x: MxArray): MxArray {
    return relu(checkArray(this, x));
  }
}

export class Tanh extends Module {
  override forward(x: MxArray): MxArray {
    return tanh(checkArray(this, x));
  }
}

export type ActivationName = 'relu' | 'gelu' | 'gelu_approx' | 'gelu_fast' | 'silu' | 'tanh';
export type Activation = ((x: MxArray) => MxArray) | Module | ActivationName;

const byName: Record<ActivationName, (x: MxArray) => MxArray> = {
  relu,
  gelu,
  gelu_approx: geluApprox,
  gelu_fast: geluFastApprox,
  silu,
  tanh,
};

/** A function for an activation given by name, function or Module (used by configurable layers). */
export function activationFn(owner: string, a: Activation): (x: MxArray) => MxArray {
  if (typeof a === 'function') return a;
  if (a instanceof Module) return (x) => a.forward(x);
  if (typeof a === 'string' && a in byName) return byName[a];
  throw new TypeError(`${owner}: unknown activation ${String(a)} (expected a function, a Module or one of ${Object.keys(byName).join(', ')})`);
}
