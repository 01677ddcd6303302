/** Native exports of native/transforms.cc. Traced functions take and return flat lists of handles. */
import type { Handle } from '../types.js';

export type TracedFn = (inputs: Handle[]) => Handle[];

export interface TransformsBinding {
  /** [outputs, vjps] of fn at primals for the given output cotangents. */
  vjp(fn: TracedFn, primals: Handle[], cotangents: Handle[]): [Handle[], Handle[]];
  /** [outputs, jvps] of fn at primals for the given input tangents. */
  jvp(fn: TracedFn, primals: Handle[], tangents: Handle[]): [Handle[], Handle[]];
  /** [outputs, grads]: grads of outputs[0] (a scalar) with respect to inputs[argnums]. */
  valueAndGrad(fn: TracedFn, inputs: Handle[], argnums: number[]): [Handle[], Handle[]];
  /** fn wrapped so its backward pass recomputes it instead of keeping intermediates. */
  checkpoint(fn: TracedFn): TracedFn;
  /** fn compiled by MLX with its own compile-cache id (erased when the returned function is collected). */
  compile(fn: TracedFn, shapeless: boolean): TracedFn;
  disableCompile(): void;
  enableCompile(): void;
}
