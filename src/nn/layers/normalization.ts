/**
 * LayerNorm and RMSNorm over the last axis, through mx.fast (mlx.nn defaults: eps 1e-5, weight 1, bias 0).
 * An affine float32 LayerNorm takes mx.fused.layerNorm (one threaded pass each way, a residual added in
 * the same pass) while the fused kernels are on.
 */
import type { MxArray } from '../../core/array.js';
import { ones, zeros } from '../../core/creation.js';
import * as fast from '../../core/fast.js';
import { add } from '../../core/ops.js';
import { layerNorm as fusedLayerNorm } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import { Module } from '../module.js';
import { checkArray, checkLastDim, checkOptions, positiveInt } from './checks.js';

export interface LayerNormOptions {
  eps?: number;
  /** Learn a weight (and a bias, see `bias`); default true. */
  affine?: boolean;
  /** Learn a bias when affine; default true. */
  bias?: boolean;
}

export class LayerNorm extends Module {
  readonly dims: number;
  readonly eps: number;
  weight?: MxArray;
  bias?: MxArray;

  constructor(dims: number, options: LayerNormOptions = {}) {
    super();
    checkOptions('LayerNorm', options, ['eps', 'affine', 'bias']);
    this.dims = positiveInt('LayerNorm', 'dims', dims);
    this.eps = options.eps ?? 1e-5;
    const affine = options.affine ?? true;
    if (affine) this.weight = ones([dims]);
    else delete this.weight;
    if (affine && (options.bias ?? true)) this.bias = zeros([dims]);
    else delete this.bias;
  }

  protected override extraRepr(): string {
    return `${this.dims}, eps=${this.eps}, affine=${this.weight !== undefined}`;
  }

  /** Normalises x, or x + residual (a post-norm layer's add & norm: one fused pass each way, no sum kept). */
  override forward(x: MxArray, residual?: MxArray): MxArray {
    checkLastDim(this, x, this.dims);
    if (residual !== undefined) checkArray(this, residual, 'residual');
    if (x.dtype === 'float32' && this.weight !== undefined && fusedKernelsEnabled()) {
      return fusedLayerNorm(x, this.weight, this.bias ?? null, this.eps, { residual });
    }
    return fast.layerNorm(residual === undefined ? x : add(x, residual), this.weight ?? null, this.bias ?? null, this.eps);
  }
}

export class RMSNorm extends Module {
  readonly dims: number;
  readonly eps: number;
  weight: MxArray;

  constructor(dims: number, options: { eps?: number } = {}) {
    super();
    checkOptions('RMSNorm', options, ['eps']);
    this.dims = positiveInt('RMSNorm', 'dims', dims);
    this.eps = options.eps ?? 1e-5;
    this.weight = ones([dims]);
  }

  protected override extraRepr(): string {
    return `${this.dims}, eps=${this.eps}`;
  }

  override forward(x: MxArray): MxArray {
    checkLastDim(this, x, this.dims);
    return fast.rmsNorm(x, this.weight, this.eps);
  }
}
