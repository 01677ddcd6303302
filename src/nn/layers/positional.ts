/** RoPE: rotary position embedding on the first `dims` features, through mx.fast.rope (mlx.nn.RoPE). */
import type { MxArray } from '../../core/array.js';
import * as fast from '../../core/fast.js';
import { ShapeError } from '../../errors.js';
import { Module } from '../module.js';
import { checkArray, checkOptions, positiveInt } from './checks.js';

export interface RoPEOptions {
  /** Rotate consecutive pairs instead of the two halves (default false). */
  traditional?: boolean;
  base?: number;
  scale?: number;
}

export class RoPE extends Module {
  readonly dims: number;
  readonly traditional: boolean;
  readonly base: number;
  readonly scale: number;

  constructor(dims: number, options: RoPEOptions = {}) {
    super();
    checkOptions('RoPE', options, ['traditional', 'base', 'scale']);
    this.dims = positiveInt('RoPE', 'dims', dims);
    if (dims % 2 !== 0) throw new RangeError(`RoPE: dims must be even but received ${dims}`);
    this.traditional = options.traditional ?? false;
    this.base = options.base ?? 10000;
    this.scale = options.scale ?? 1;
  }

  protected override extraRepr(): string {
    return `${this.dims}, traditional=${this.traditional}`;
  }

  /** x: [..., T, D] with D ≥ dims; `offset` is the position of the first token. */
  override forward(x: MxArray, offset = 0): MxArray {
    checkArray(this, x);
    if (x.ndim < 2 || x.shape[x.ndim - 1] < this.dims) {
      throw new ShapeError(`${this.describe()}: expected input [..., T, D] with D >= ${this.dims} but received shape [${x.shape.join(',')}]`);
    }
    return fast.rope(x, this.dims, { traditional: this.traditional, base: this.base, scale: this.scale, offset });
  }
}
