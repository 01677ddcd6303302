/**
 * LoRALinear: y = base(x) + scale · (dropout(x) · loraA) · loraB, with the base Linear or QuantizedLinear
 * frozen (mlx-lm's LoRA layer). loraA [in, rank] ~ U(±1/√in), loraB [rank, out] = 0, so a fresh layer
 * computes exactly what the base did. `scale` defaults to 20 (mlx-lm); `alpha` sets scale = alpha/rank.
 */
import type { MxArray } from '../../core/array.js';
import { zeros } from '../../core/creation.js';
import { add, astype, matmul, multiply } from '../../core/ops.js';
import { transpose } from '../../core/shape.js';
import * as random from '../../core/random.js';
import { describeValue } from '../../errors.js';
import { Module } from '../module.js';
import { checkLastDim, checkOptions, positiveInt } from './checks.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { addOnPath } from './residual.js';
import { QuantizedLinear } from './quantized.js';

export interface LoRAOptions {
  rank?: number;
  /** Multiplier of the low-rank update (20, as mlx-lm); give `alpha` instead for scale = alpha / rank. */
  scale?: number;
  alpha?: number;
  /** Dropout on the input of the low-rank path (0). */
  dropout?: number;
}

export class LoRALinear extends Module {
  linear: Linear | QuantizedLinear;
  loraA: MxArray;
  loraB: MxArray;
  dropout: Dropout;
  readonly scale: number;

  constructor(inputDims: number, outputDims: number, options: LoRAOptions & { bias?: boolean } = {}) {
    super();
    checkOptions('LoRALinear', options, ['rank', 'scale', 'alpha', 'dropout', 'bias']);
    const rank = positiveInt('LoRALinear', 'rank', options.rank ?? 8);
    if (options.scale !== undefined && options.alpha !== undefined) throw new TypeError('LoRALinear: give either scale or alpha, not both');
    this.scale = options.alpha !== undefined ? options.alpha / rank : (options.scale ?? 20);
    this.linear = new Linear(inputDims, outputDims, { bias: options.bias ?? false });
    this.dropout = new Dropout(options.dropout ?? 0);
    const bound = 1 / Math.sqrt(inputDims);
    this.loraA = random.uniform(-bound, bound, [inputDims, rank]);
    this.loraB = zeros([rank, outputDims]);
  }

  get rank(): number {
    return this.loraA.shape[1];
  }

  // A drop-in for the layer it wraps: callers such as MultiHeadAttention read these off their projections.
  get inputDims(): number {
    return this.linear.inputDims;
  }

  get outputDims(): number {
    return this.linear.outputDims;
  }

  protected override extraRepr(): string {
    return `inputDims=${this.linear.inputDims}, outputDims=${this.linear.outputDims}, rank=${this.rank}, scale=${this.scale}`;
  }

  /** Wraps an existing layer (frozen) with a new low-rank update. */
  static fromBase(base: Linear | QuantizedLinear, options: LoRAOptions = {}): LoRALinear {
    if (!(base instanceof Linear) && !(base instanceof QuantizedLinear)) {
      throw new TypeError(`LoRALinear.fromBase: expected an nn.Linear or nn.QuantizedLinear but received ${describeValue(base)}`);
    }
    checkOptions('LoRALinear.fromBase', options, ['rank', 'scale', 'alpha', 'dropout']);
    const lora = new LoRALinear(base.inputDims, base.outputDims, { ...options, bias: false });
    lora.linear = base;
    base.freeze();
    return lora;
  }

  override forward(x: MxArray): MxArray {
    checkLastDim(this, x, this.linear.inputDims);
    const y = this.linear.forward(x);
    // The scale meets the rank × out matrix, not every token's update; the update joins y in one threaded pass.
    const z = matmul(matmul(this.dropout.forward(x), this.loraA), multiply(this.loraB, this.scale));
    return addOnPath(y, astype(z, x.dtype));
  }

  /** A plain Linear with the update merged in: W + scale · loraBᵀ · loraAᵀ (dequantizing a quantized base); nn.fuseLoRA does this for a whole model. */
  fuse(): Linear {
    const base = this.linear;
    const weight = base instanceof QuantizedLinear ? base.dequantizedWeight() : base.weight;
    const fused = new Linear(base.inputDims, base.outputDims, { bias: base.bias !== undefined });
    const delta = matmul(astype(multiply(transpose(this.loraB), this.scale), weight.dtype), astype(transpose(this.loraA), weight.dtype));
    fused.weight = add(weight, delta);
    if (base.bias) fused.bias = base.bias;
    return fused;
  }
}
