/**
 * Dropout: zeroes each element with probability p in training mode and scales the rest by 1/(1-p).
 * float32 takes mx.fused.dropout while the fused kernels are on: the same mask (the same bernoulli draw
 * from the global key sequence, bit for bit) in one threaded pass each way.
 */
import type { MxArray } from '../../core/array.js';
import { multiply } from '../../core/ops.js';
import * as random from '../../core/random.js';
import { dropout as fusedDropout } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import { Module } from '../module.js';
import { checkArray } from './checks.js';

export class Dropout extends Module {
  private readonly _keep: number;
  private readonly _p: number;

  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`Dropout: the probability p must be in [0, 1) but received ${p}`);
    this._p = p;
    this._keep = 1 - p;
  }

  get p(): number {
    return this._p;
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }

  override forward(x: MxArray): MxArray {
    checkArray(this, x);
    if (this._keep === 1 || !this.training) return x;
    if (x.dtype === 'float32' && fusedKernelsEnabled()) return fusedDropout(x, this.p);
    const mask = random.bernoulli(this._keep, x.shape);
    return multiply(multiply(mask, x), 1 / this._keep);
  }
}
