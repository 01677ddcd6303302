/**
 * nn.valueAndGrad(model, fn): like mx.valueAndGrad, but differentiates with respect to the model's
 * trainable parameters (mlx.nn.value_and_grad). While fn is traced the model holds the traced
 * parameters; afterwards its own arrays are put back, whatever fn did.
 */
import { valueAndGrad as coreValueAndGrad, type StateRef } from '../core/transforms.js';
import { MxArray } from '../core/array.js';
import { treeFlatten } from '../core/tree.js';
import { describeValue } from '../errors.js';
import { Module } from './module.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function valueAndGrad<A extends any[], R>(model: Module, fn: (...args: A) => R): (...args: A) => [R, Record<string, unknown>] {
  if (!(model instanceof Module)) throw new TypeError(`nn.valueAndGrad: expected an nn.Module but received ${describeValue(model)}`);
  if (typeof fn !== 'function') throw new TypeError(`nn.valueAndGrad: expected a function but received ${describeValue(fn)}`);
  const inner = (params: Record<string, unknown>, ...args: A) => {
    model.update(params);
    return fn(...args);
  };
  const vg = coreValueAndGrad(inner);
  return (...args: A) => {
    const saved = model.trainableParameters();
    // Nothing to differentiate (activations, a fully frozen model): MLX refuses an empty gradient.
    if (treeFlatten(saved).every(([, v]) => !(v instanceof MxArray))) return [fn(...args), saved];
    try {
      return vg(saved, ...args) as [R, Record<string, unknown>];
    } finally {
      model.update(saved);
    }
  };
}

/**
 * A StateRef over every parameter of `model` (frozen ones too), for mx.compile's `inputs`/`outputs`
 * (the `model.state` of mlx.nn).
 */
export function moduleState(model: Module): StateRef {
  return {
    get: () => model.parameters(),
    set: (tree) => {
      model.update(tree as Record<string, unknown>);
    },
  };
}
