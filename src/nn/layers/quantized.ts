/**
 * QuantizedLinear (mlx.nn.QuantizedLinear): an affine-quantized weight (`weight` packed uint32, `scales`,
 * `biases` per group of `groupSize` inputs) used through mx.quantizedMatmul, plus an optional float
 * `bias`. The quantized tensors are frozen: they are not trainable. `quantize(model)` swaps Linear
 * layers for QuantizedLinear in place.
 *
 * `compute` picks how the product is formed. 'quantized' is mx.quantizedMatmul. 'dequantized' expands
 * the frozen weight to float for each call and uses the plain matmul (BLAS sgemm): the stored weight
 * stays low-bit, only one layer's float copy lives at a time. On the CPU build MLX's quantized matmul
 * kernel (and its input gradient) is several times slower than sgemm, so 'auto' (the default) picks
 * 'dequantized' when the default device is the CPU and 'quantized' elsewhere (bench/quantized-compute.ts
 * measures both; test/nn/quantized-compute.test.ts checks they agree).
 */
import type { MxArray } from '../../core/array.js';
import type { Dtype } from '../../core/dtype.js';
import { zeros } from '../../core/creation.js';
import { defaultDevice } from '../../core/device.js';
import { add, matmul, stopGradient } from '../../core/ops.js';
import { transpose } from '../../core/shape.js';
import { tidy } from '../../core/scope.js';
import { dequantize, quantize as quantizeWeight, quantizedMatmul } from '../../core/quantize.js';
import * as random from '../../core/random.js';
import { treeMapWithPath } from '../../core/tree.js';
import { describeValue } from '../../errors.js';
import { Module } from '../module.js';
import { checkLastDim, checkOptions, positiveInt } from './checks.js';
import { Linear } from './linear.js';

export interface QuantizationOptions {
  /** Inputs per scale/bias group (64). */
  groupSize?: number;
  /** Bits per weight: 2, 3, 4 (default), 5, 6 or 8. */
  bits?: number;
  /** How forward multiplies (see the module comment): 'auto' (default), 'quantized' or 'dequantized'. */
  compute?: QuantizedCompute;
}

export type QuantizedCompute = 'auto' | 'quantized' | 'dequantized';
const COMPUTES: readonly QuantizedCompute[] = ['auto', 'quantized', 'dequantized'];

function computeOption(owner: string, compute: unknown): QuantizedCompute {
  if (compute === undefined) return 'auto';
  if (!COMPUTES.includes(compute as QuantizedCompute)) throw new TypeError(`${owner}: compute must be 'auto', 'quantized' or 'dequantized' but received ${describeValue(compute)}`);
  return compute as QuantizedCompute;
}

function quantOptions(owner: string, o: QuantizationOptions): { groupSize: number; bits: number } {
  const groupSize = o.groupSize ?? 64;
  const bits = o.bits ?? 4;
  if (![32, 64, 128].includes(groupSize)) throw new RangeError(`${owner}: groupSize must be 32, 64 or 128 but received ${describeValue(groupSize)}`);
  if (![2, 3, 4, 5, 6, 8].includes(bits)) throw new RangeError(`${owner}: bits must be 2, 3, 4, 5, 6 or 8 but received ${describeValue(bits)}`);
  return { groupSize, bits };
}

export class QuantizedLinear extends Module {
  readonly groupSize: number;
  readonly bits: number;
  /** See the module comment; change it at any time (e.g. to compare both paths). */
  compute: QuantizedCompute;
  weight: MxArray;
  scales: MxArray;
  biases: MxArray;
  bias?: MxArray;

  constructor(inputDims: number, outputDims: number, options: QuantizationOptions & { bias?: boolean } = {}) {
    super();
    checkOptions('QuantizedLinear', options, ['groupSize', 'bits', 'compute', 'bias']);
    positiveInt('QuantizedLinear', 'inputDims', inputDims);
    positiveInt('QuantizedLinear', 'outputDims', outputDims);
    ({ groupSize: this.groupSize, bits: this.bits } = quantOptions('QuantizedLinear', options));
    this.compute = computeOption('QuantizedLinear', options.compute);
    if (inputDims % this.groupSize !== 0) throw new RangeError(`QuantizedLinear: inputDims (${inputDims}) must be a multiple of groupSize (${this.groupSize})`);
    const scale = Math.sqrt(1 / inputDims);
    [this.weight, this.scales, this.biases] = quantizeWeight(random.uniform(-scale, scale, [outputDims, inputDims]), this.groupSize, this.bits);
    if (options.bias ?? true) this.bias = zeros([outputDims]);
    else delete this.bias;
    this.freeze();
  }

  get inputDims(): number {
    return (this.weight.shape[1] * 32) / this.bits;
  }
  get outputDims(): number {
    return this.weight.shape[0];
  }

  protected override extraRepr(): string {
    return `inputDims=${this.inputDims}, outputDims=${this.outputDims}, bias=${this.bias !== undefined}, groupSize=${this.groupSize}, bits=${this.bits}`;
  }

  /** The path forward takes now: 'auto' resolved against the default device. */
  get effectiveCompute(): 'quantized' | 'dequantized' {
    if (this.compute !== 'auto') return this.compute;
    return defaultDevice().type === 'cpu' ? 'dequantized' : 'quantized';
  }

  override forward(x: MxArray): MxArray {
    checkLastDim(this, x, this.inputDims);
    let y: MxArray;
    if (this.effectiveCompute === 'dequantized') {
      // The weight is frozen: no gradient flows into the dequantized copy, only through x. The float copy's
      // handles are released at once (the graph keeps what it needs), so an uncompiled forward frees
      // each layer's copy as soon as its matmul has run instead of holding all of them to the end.
      y = tidy(() => {
        const w = stopGradient(this.dequantizedWeight(x.dtype === 'float16' || x.dtype === 'bfloat16' ? x.dtype : 'float32'));
        return matmul(x, transpose(w));
      });
    } else {
      y = quantizedMatmul(x, this.weight, this.scales, this.biases, true, this.groupSize, this.bits);
    }
    return this.bias ? add(y, this.bias) : y;
  }

  /** The float weight [outputDims, inputDims] this layer approximates (in `dtype`, default the scales' dtype). */
  dequantizedWeight(dtype?: Dtype): MxArray {
    return dequantize(this.weight, this.scales, this.biases, this.groupSize, this.bits, dtype === undefined ? {} : { dtype });
  }

  /** A QuantizedLinear approximating `linear` (its bias is kept as is and stays trainable, as in mlx.nn). */
  static fromLinear(linear: Linear, options: QuantizationOptions = {}): QuantizedLinear {
    if (!(linear instanceof Linear)) throw new TypeError(`QuantizedLinear.fromLinear: expected an nn.Linear but received ${describeValue(linear)}`);
    checkOptions('QuantizedLinear.fromLinear', options, ['groupSize', 'bits', 'compute']);
    const ql = new QuantizedLinear(linear.inputDims, linear.outputDims, { ...options, bias: false });
    [ql.weight, ql.scales, ql.biases] = quantizeWeight(linear.weight, ql.groupSize, ql.bits);
    if (linear.bias) ql.bias = linear.bias;
    return ql;
  }
}

export interface QuantizeModelOptions extends QuantizationOptions {
  /** Which layers to quantize, given (dottedPath, module); default: every Linear whose input size is a
   * multiple of groupSize. Return an options object to quantize one layer differently. */
  classPredicate?: (path: string, module: Module) => boolean | QuantizationOptions;
}

/** Replaces the selected Linear layers of `model` by QuantizedLinear layers, in place (mlx.nn.quantize). */
export function quantize(model: Module, options: QuantizeModelOptions = {}): Module {
  if (!(model instanceof Module)) throw new TypeError(`nn.quantize: expected an nn.Module but received ${describeValue(model)}`);
  checkOptions('nn.quantize', options, ['groupSize', 'bits', 'compute', 'classPredicate']);
  const defaults = { ...quantOptions('nn.quantize', options), compute: computeOption('nn.quantize', options.compute) };
  const predicate = options.classPredicate ?? ((_p: string, m: Module) => m instanceof Linear && m.inputDims % defaults.groupSize === 0);
  const swapped = treeMapWithPath((path: string, m: unknown) => {
    if (!(m instanceof Module)) return m;
    const choice = predicate(path, m);
    if (choice === false) return m;
    if (!(m instanceof Linear)) throw new TypeError(`nn.quantize: unable to quantize '${path}' of type ${m.constructor.name} (only Linear layers)`);
    return QuantizedLinear.fromLinear(m, choice === true ? defaults : { ...defaults, ...choice });
  }, model.leafModules());
  model.updateModules(swapped);
  return model;
}
