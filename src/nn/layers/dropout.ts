/** Dropout: zeroes each element with probability p in training mode and scales the rest by 1/(1-p). */
import type { MxArray } from '../../core/array.js';
import { multiply } from '../../core/ops.js';
import * as random from '../../core/random.js';
import { Module } from '../module.js';
import { checkArray } from './checks.js';

export class Dropout extends Module {
  private readonly _keep: number;

  constructor(p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new RangeError(`Dropout: the probability p must be in [0, 1) but received ${p}`);
    this._keep = 1 - p;
  }

  get p(): number {
    return 1 - this._keep;
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }

  override forward(x: MxArray): MxArray {
    checkArray(this, x);
    if (this._keep === 1 || !this.training) return x;
    const mask = random.bernoulli(this._keep, x.shape);
    return multiply(multiply(mask, x), 1 / this._keep);
  }
}
