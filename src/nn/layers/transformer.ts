/**
 * TransformerEncoderLayer and TransformerEncoder as in mlx.nn (pre-norm by default, ReLU MLP, members
 * attention/ln1/ln2/linear1/linear2/dropout1/dropout2; the encoder ends with a LayerNorm `ln`).
 * Extra options: `bias` for the attention projections (mlx.nn has none), `normEps`, and for the encoder
 * `finalNorm: false` to drop the last LayerNorm (post-norm BERT has none). The encoder's `checkpoint`
 * option (as in mlx.nn) recomputes each layer in the backward pass instead of keeping its activations.
 */
import type { MxArray } from '../../core/array.js';
import { describeValue } from '../../errors.js';
import { stackLayerForward } from '../recompute.js';
import { Module } from '../module.js';
import { type Activation, activationFn, relu } from './activations.js';
import { type AttentionMask, MultiHeadAttention } from './attention.js';
import { checkArray, checkLastDim, checkOptions, positiveInt } from './checks.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { LayerNorm } from './normalization.js';
import { addOnPath } from './residual.js';

export interface TransformerEncoderLayerOptions {
  /** Hidden size of the MLP (4·dims). */
  mlpDims?: number;
  dropout?: number;
  /** 'relu' (default), 'gelu', … or a function / Module. */
  activation?: Activation;
  /** Pre-norm (true, default) or post-norm (false, original Transformer / BERT). */
  normFirst?: boolean;
  /** Bias on the attention projections (default false, as mlx.nn). */
  bias?: boolean;
  /** LayerNorm epsilon (1e-5). */
  normEps?: number;
}

const LAYER_KEYS = ['mlpDims', 'dropout', 'activation', 'normFirst', 'bias', 'normEps'];

export class TransformerEncoderLayer extends Module {
  attention: MultiHeadAttention;
  ln1: LayerNorm;
  ln2: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  dropout1: Dropout;
  dropout2: Dropout;
  readonly normFirst: boolean;
  private readonly _act: (x: MxArray) => MxArray;

  constructor(dims: number, numHeads: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    checkOptions('TransformerEncoderLayer', options, LAYER_KEYS);
    positiveInt('TransformerEncoderLayer', 'dims', dims);
    const mlpDims = options.mlpDims ?? dims * 4;
    this.attention = new MultiHeadAttention(dims, numHeads, { bias: options.bias ?? false });
    this.ln1 = new LayerNorm(dims, { eps: options.normEps });
    this.ln2 = new LayerNorm(dims, { eps: options.normEps });
    this.linear1 = new Linear(dims, mlpDims);
    this.linear2 = new Linear(mlpDims, dims);
    this.dropout1 = new Dropout(options.dropout ?? 0);
    this.dropout2 = new Dropout(options.dropout ?? 0);
    this._act = activationFn('TransformerEncoderLayer', options.activation ?? relu);
    this.normFirst = options.normFirst ?? true;
  }

  protected override extraRepr(): string {
    return `dims=${this.linear1.inputDims}, numHeads=${this.attention.numHeads}, mlpDims=${this.linear1.outputDims}, normFirst=${this.normFirst}`;
  }

  private mlp(x: MxArray): MxArray {
    return this.linear2.forward(this.dropout2.forward(this._act(this.linear1.forward(x))));
  }

  override forward(x: MxArray, mask?: AttentionMask): MxArray {
    checkLastDim(this, checkArray(this, x), this.linear1.inputDims);
    if (this.normFirst) {
      const y = this.ln1.forward(x);
      const h = addOnPath(x, this.dropout1.forward(this.attention.forward(y, y, y, mask)));
      return addOnPath(h, this.mlp(this.ln2.forward(h)));
    }
    const h = this.ln1.forward(this.dropout1.forward(this.attention.forward(x, x, x, mask)), x);
    return this.ln2.forward(this.mlp(h), h);
  }
}

export interface TransformerEncoderOptions extends TransformerEncoderLayerOptions {
  /** End with a LayerNorm (default true; post-norm stacks have none). */
  finalNorm?: boolean;
  /** Gradient checkpointing: recompute each layer's activations in the backward pass (default false). */
  checkpoint?: boolean;
}

export class TransformerEncoder extends Module {
  layers: TransformerEncoderLayer[];
  ln?: LayerNorm;
  /** Whether forward runs each layer under nn.checkpoint (may be switched after construction). */
  checkpoint: boolean;

  constructor(numLayers: number, dims: number, numHeads: number, options: TransformerEncoderOptions = {}) {
    super();
    checkOptions('TransformerEncoder', options, [...LAYER_KEYS, 'finalNorm', 'checkpoint']);
    positiveInt('TransformerEncoder', 'numLayers', numLayers);
    const { finalNorm = true, checkpoint = false, ...layerOptions } = options;
    if (typeof checkpoint !== 'boolean') throw new TypeError(`TransformerEncoder: expected a boolean for checkpoint but received ${describeValue(checkpoint)}`);
    this.checkpoint = checkpoint;
    this.layers = Array.from({ length: numLayers }, () => new TransformerEncoderLayer(dims, numHeads, layerOptions));
    if (finalNorm) this.ln = new LayerNorm(dims, { eps: options.normEps });
    else delete this.ln;
  }

  override forward(x: MxArray, mask?: AttentionMask): MxArray {
    let h = x;
    for (const layer of this.layers) h = stackLayerForward(layer, this.checkpoint, h, mask);
    return this.ln ? this.ln.forward(h) : h;
  }
}
