/**
 * nn.init: initializers as in mlx.nn.init. Each factory returns a function that takes an array and
 * returns a new array of its shape (drawn from the global key sequence, so `mx.random.seed` makes
 * them reproducible and identical to Python MLX's for the same seed).
 */
import type { MxArray } from '../core/array.js';
import { eye, full } from '../core/creation.js';
import type { Dtype } from '../core/dtype.js';
import { add, multiply } from '../core/ops.js';
import * as random from '../core/random.js';
import { formatShape } from '../core/op-args.js';
import { ShapeError } from '../errors.js';

export type Initializer = (a: MxArray) => MxArray;
export type FanMode = 'fan_in' | 'fan_out';

export function constant(value: number, dtype: Dtype = 'float32'): Initializer {
  return (a) => full(a.shape, value, dtype);
}

export function normal(mean = 0, std = 1, dtype: Dtype = 'float32'): Initializer {
  return (a) => random.normal(a.shape, { scale: std, loc: mean, dtype });
}

export function uniform(low = 0, high = 1, dtype: Dtype = 'float32'): Initializer {
  return (a) => random.uniform(low, high, a.shape, { dtype });
}

/** The identity matrix for a square 2-D array. */
export function identity(dtype: Dtype = 'float32'): Initializer {
  return (a) => {
    if (a.ndim !== 2 || a.shape[0] !== a.shape[1]) throw new ShapeError(`nn.init.identity: the input array must be square (2-D) but received shape ${formatShape(a.shape)}`);
    return eye(a.shape[0], undefined, 0, dtype);
  };
}

/**
 * mean + std · N(0,1) truncated to [lower, upper] standard deviations (default ±2), like
 * torch.nn.init.trunc_normal_ with bounds in units of std (not in mlx.nn.init).
 */
export function truncatedNormal(mean = 0, std = 1, options: { lower?: number; upper?: number; dtype?: Dtype } = {}): Initializer {
  const { lower = -2, upper = 2, dtype = 'float32' } = options;
  return (a) => add(multiply(random.truncatedNormal(lower, upper, a.shape, { dtype }), std), mean);
}

/** fan_in = shape[-1]·receptive field, fan_out = shape[0]·receptive field (mlx.nn.init's rule). */
export function fans(a: MxArray, op = 'nn.init'): { fanIn: number; fanOut: number } {
  if (a.ndim < 2) throw new ShapeError(`${op}: glorot and he initializers need at least 2 dimensions but received shape ${formatShape(a.shape)}`);
  const receptive = a.shape.slice(1, -1).reduce((n, d) => n * d, 1);
  return { fanIn: a.shape[a.ndim - 1] * receptive, fanOut: a.shape[0] * receptive };
}

function fanOf(a: MxArray, mode: FanMode, op: string): number {
  const { fanIn, fanOut } = fans(a, op);
  if (mode === 'fan_in') return fanIn;
  if (mode === 'fan_out') return fanOut;
  throw new TypeError(`${op}: invalid mode '${String(mode)}' (expected fan_in or fan_out)`);
}

/** N(0, gain²·2/(fanIn+fanOut)). */
export function glorotNormal(dtype: Dtype = 'float32'): (a: MxArray, gain?: number) => MxArray {
  return (a, gain = 1) => {
    const { fanIn, fanOut } = fans(a, 'nn.init.glorotNormal');
    return random.normal(a.shape, { scale: gain * Math.sqrt(2 / (fanIn + fanOut)), dtype });
  };
}

/** U(±gain·√(6/(fanIn+fanOut))). */
export function glorotUniform(dtype: Dtype = 'float32'): (a: MxArray, gain?: number) => MxArray {
  return (a, gain = 1) => {
    const { fanIn, fanOut } = fans(a, 'nn.init.glorotUniform');
    const limit = gain * Math.sqrt(6 / (fanIn + fanOut));
    return random.uniform(-limit, limit, a.shape, { dtype });
  };
}

/** N(0, (gain/√fan)²), fan chosen by mode. */
export function heNormal(dtype: Dtype = 'float32'): (a: MxArray, mode?: FanMode, gain?: number) => MxArray {
  return (a, mode = 'fan_in', gain = 1) => random.normal(a.shape, { scale: gain / Math.sqrt(fanOf(a, mode, 'nn.init.heNormal')), dtype });
}

/** U(±gain·√(3/fan)), fan chosen by mode. */
export function heUniform(dtype: Dtype = 'float32'): (a: MxArray, mode?: FanMode, gain?: number) => MxArray {
  return (a, mode = 'fan_in', gain = 1) => {
    const limit = gain * Math.sqrt(3 / fanOf(a, mode, 'nn.init.heUniform'));
    return random.uniform(-limit, limit, a.shape, { dtype });
  };
}
