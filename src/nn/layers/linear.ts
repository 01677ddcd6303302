/** Linear (y = x·Wᵀ + b) and Identity, as mlx.nn.Linear: weight [out, in] and bias drawn from U(-1/√in, 1/√in). */
import type { MxArray } from '../../core/array.js';
import { addmm, matmul } from '../../core/ops.js';
import { transpose } from '../../core/shape.js';
import { biasAdd, linear as fusedLinear } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import * as random from '../../core/random.js';
import { Module } from '../module.js';
import { checkArray, checkLastDim, checkOptions, positiveInt } from './checks.js';

export class Identity extends Module {
  override forward(x: MxArray): MxArray {
    return checkArray(this, x);
  }
}

export class Linear extends Module {
  weight: MxArray;
  bias?: MxArray;

  constructor(inputDims: number, outputDims: number, options: { bias?: boolean } = {}) {
    super();
    checkOptions('Linear', options, ['bias']);
    positiveInt('Linear', 'inputDims', inputDims);
    positiveInt('Linear', 'outputDims', outputDims);
    const scale = Math.sqrt(1 / inputDims);
    this.weight = random.uniform(-scale, scale, [outputDims, inputDims]);
    if (options.bias ?? true) this.bias = random.uniform(-scale, scale, [outputDims]);
    else delete this.bias;
  }

  get inputDims(): number {
    return this.weight.shape[1];
  }
  get outputDims(): number {
    return this.weight.shape[0];
  }

  protected override extraRepr(): string {
    return `inputDims=${this.inputDims}, outputDims=${this.outputDims}, bias=${this.bias !== undefined}`;
  }

  override forward(x: MxArray): MxArray {
    checkLastDim(this, x, this.inputDims);
    // float32 with the fused kernels on: the matmul with its weight gradient in the weight's own rows, then
    // the bias added in place over all cores (and its gradient summed the same way), where addmm copies the
    // bias into the output on one thread.
    if (x.dtype === 'float32' && this.weight.dtype === 'float32' && fusedKernelsEnabled()) {
      const y = fusedLinear(x, this.weight);
      return this.bias ? biasAdd(y, this.bias) : y;  // a bias of another dtype: biasAdd takes mx.add
    }
    const wt = transpose(this.weight);
    return this.bias ? addmm(this.bias, x, wt) : matmul(x, wt);
  }
}
