/**
 * Embedding: a [numEmbeddings, dims] table indexed by integer ids (weights ~ N(0, 1/dims), as mlx.nn).
 * A float32 table takes mx.fused.embedding while the fused kernels are on (its gradient is a threaded
 * scatter-add instead of MLX's single-threaded one).
 */
import type { MxArray } from '../../core/array.js';
import { isInteger } from '../../core/dtype.js';
import { take } from '../../core/indexing.js';
import { embedding as fusedEmbedding } from '../../core/fused.js';
import { fusedKernelsEnabled } from '../../core/fused-kernels.js';
import { matmul } from '../../core/ops.js';
import { transpose } from '../../core/shape.js';
import * as random from '../../core/random.js';
import { DtypeError } from '../../errors.js';
import { Module } from '../module.js';
import { checkArray, checkLastDim, positiveInt } from './checks.js';

export class Embedding extends Module {
  weight: MxArray;

  constructor(numEmbeddings: number, dims: number) {
    super();
    positiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    positiveInt('Embedding', 'dims', dims);
    this.weight = random.normal([numEmbeddings, dims], { scale: Math.sqrt(1 / dims) });
  }

  protected override extraRepr(): string {
    return `${this.weight.shape[0]}, ${this.weight.shape[1]}`;
  }

  /** The rows of the table for integer ids of any shape: [...ids.shape, dims]. */
  override forward(ids: MxArray): MxArray {
    checkArray(this, ids, 'ids');
    if (!isInteger(ids.dtype)) throw new DtypeError(`${this.describe()}: expected integer ids but received ${ids.dtype}`);
    if (this.weight.dtype === 'float32' && fusedKernelsEnabled()) return fusedEmbedding(this.weight, ids);
    return take(this.weight, ids, 0);
  }

  /** x · weightᵀ: the table used as an output projection (tied embeddings). */
  asLinear(x: MxArray): MxArray {
    checkLastDim(this, x, this.weight.shape[1]);
    return matmul(x, transpose(this.weight));
  }
}
