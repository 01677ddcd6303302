/**
 * A gated feed-forward block: downProj(act(gateProj(x)) * upProj(x)). With act = silu it is SwiGLU
 * (LLaMA's MLP); with gelu it is GEGLU. Not in mlx.nn; names follow the LLaMA-style models in mlx-lm.
 */
import type { MxArray } from '../../core/array.js';
import { multiply } from '../../core/ops.js';
import { Module } from '../module.js';
import { type Activation, activationFn } from './activations.js';
import { checkLastDim, checkOptions, positiveInt } from './checks.js';
import { Linear } from './linear.js';

export interface GatedMLPOptions {
  /** The gate's activation: 'silu' (SwiGLU, default), 'gelu'/'gelu_approx' (GEGLU), or any function. */
  activation?: Activation;
  bias?: boolean;
}

export class GatedMLP extends Module {
  gateProj: Linear;
  upProj: Linear;
  downProj: Linear;
  private readonly _act: (x: MxArray) => MxArray;
  private readonly _actName: string;

  constructor(dims: number, hiddenDims: number, options: GatedMLPOptions = {}) {
    super();
    checkOptions('GatedMLP', options, ['activation', 'bias']);
    positiveInt('GatedMLP', 'dims', dims);
    positiveInt('GatedMLP', 'hiddenDims', hiddenDims);
    const bias = options.bias ?? false;
    this.gateProj = new Linear(dims, hiddenDims, { bias });
    this.upProj = new Linear(dims, hiddenDims, { bias });
    this.downProj = new Linear(hiddenDims, dims, { bias });
    const act = options.activation ?? 'silu';
    this._act = activationFn('GatedMLP', act);
    this._actName = typeof act === 'string' ? act : act instanceof Module ? act.describe() : act.name || 'custom';
  }

  protected override extraRepr(): string {
    return `dims=${this.upProj.inputDims}, hiddenDims=${this.upProj.outputDims}, activation=${this._actName}`;
  }

  override forward(x: MxArray): MxArray {
    checkLastDim(this, x, this.upProj.inputDims);
    return this.downProj.forward(multiply(this._act(this.gateProj.forward(x)), this.upProj.forward(x)));
  }
}
