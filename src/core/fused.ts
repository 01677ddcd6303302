/**
 * mx.fused: mlx-train's own fused CPU kernels (native/fused/), kept apart from mx.fast so that mx.fast
 * only carries MLX's names. Each is an MLX custom primitive: for float32 on the CPU one vectorised pass
 * spread over all cores, with its gradient another fused pass (so grad, vjp/jvp and compile all work);
 * other dtypes and devices get the stock MLX op chain. nn and models call these only while
 * fusedKernelsEnabled() (core/fused-kernels.ts) is on.
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray } from './array.js';
import { wrap } from './handle.js';
import { arrayOf, optionKeysOf } from './op-args.js';
import { DtypeError } from '../errors.js';
import { isFloating } from './dtype.js';

function floatingInput(x: MxArray, op: string, name = 'x') {
  const h = arrayOf(x, `fused.${op}`, name);
  if (!isFloating(x.dtype)) throw new DtypeError(`fused.${op}: expected a floating-point array for ${name} but received ${x.dtype} [${x.shape.join(', ')}]`);
  return h;
}

/** x·Φ(x) with the exact Gaussian CDF — the value of mlx.nn.gelu (within 1e-6). */
export function gelu(x: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.gelu', ['stream']);
  return wrap(native.fusedGelu(floatingInput(x, 'gelu'), opts.stream));
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), mlx.nn.gelu_approx, fused like {@link gelu}. */
export function geluApprox(x: MxArray, opts: { stream?: StreamArg } = {}): MxArray {
  optionKeysOf(opts, 'fused.geluApprox', ['stream']);
  return wrap(native.fusedGeluApprox(floatingInput(x, 'geluApprox'), opts.stream));
}

/** Threads the fused kernels spread one pass over, the MLX stream thread included. */
export function threads(): number {
  return native.fusedKernelThreads();
}
