/**
 * BERT (Hugging Face BertModel layout): word + position + token-type embeddings with LayerNorm, post-norm
 * encoder layers (attention → add & norm → GELU MLP → add & norm), an optional [CLS] pooler (dense + tanh),
 * and BertForSequenceClassification on top. Dropout where HF's BERT has it: on the attention probabilities
 * (attention_probs_dropout_prob, inside the fused attention core) and on the hidden states.
 */
import type { MxArray } from '../core/array.js';
import * as mx from '../core/index.js';
import { formatShape } from '../core/op-args.js';
import { DtypeError, ShapeError } from '../errors.js';
import { stackLayerForward } from '../nn/recompute.js';
import { Dropout, Embedding, LayerNorm, Linear, Module, MultiHeadAttention } from '../nn/index.js';
import { type BertConfig, checkConfig, HF_ACTIVATIONS } from './config.js';
import { initBertWeights } from './init.js';
import { paddingAttentionMask } from './masks.js';
import { pool } from './pooling.js';

export interface EncoderInputs {
  /** [B, T]: 1 for tokens, 0 for padding (the tokenizer's attention mask). */
  attentionMask?: MxArray | null;
  /** [B, T]: segment ids (0 for the first text, 1 for the second); zeros when omitted. */
  tokenTypeIds?: MxArray | null;
}

/** Checks that ids are integer [B, T] and that the masks match them. */
export function checkInputs(owner: Module, inputIds: MxArray, inputs: EncoderInputs, maxLength?: number): void {
  if (!(inputIds instanceof mx.Array)) throw new TypeError(`${owner.describe()}: expected an mx.array of token ids but received ${String(inputIds)}`);
  if (inputIds.ndim !== 2) throw new ShapeError(`${owner.describe()}: expected token ids of shape [batch, length] but received ${formatShape(inputIds.shape)}`);
  if (!mx.isInteger(inputIds.dtype)) throw new DtypeError(`${owner.describe()}: expected integer token ids but received ${inputIds.dtype}`);
  if (maxLength !== undefined && inputIds.shape[1] > maxLength) {
    throw new ShapeError(`${owner.describe()}: the sequence length ${inputIds.shape[1]} exceeds max_position_embeddings (${maxLength})`);
  }
  for (const name of ['attentionMask', 'tokenTypeIds'] as const) {
    const m = inputs[name];
    if (m && (m.ndim !== 2 || m.shape[0] !== inputIds.shape[0] || m.shape[1] !== inputIds.shape[1])) {
      throw new ShapeError(`${owner.describe()}: ${name} ${formatShape(m.shape)} does not match the token ids ${formatShape(inputIds.shape)}`);
    }
  }
}

export class BertEmbeddings extends Module {
  wordEmbeddings: Embedding;
  positionEmbeddings: Embedding;
  tokenTypeEmbeddings: Embedding;
  norm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig) {
    super();
    this.wordEmbeddings = new Embedding(config.vocabSize, config.hiddenSize);
    this.positionEmbeddings = new Embedding(config.maxPositionEmbeddings, config.hiddenSize);
    this.tokenTypeEmbeddings = new Embedding(config.typeVocabSize, config.hiddenSize);
    this.norm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb);
  }

  override forward(inputIds: MxArray, tokenTypeIds?: MxArray | null): MxArray {
    const positions = mx.arange(inputIds.shape[1], { dtype: 'int32' });
    let h = mx.add(this.wordEmbeddings.forward(inputIds), this.positionEmbeddings.forward(positions));
    h = mx.add(h, tokenTypeIds ? this.tokenTypeEmbeddings.forward(tokenTypeIds) : mx.take(this.tokenTypeEmbeddings.weight, 0, 0));
    return this.dropout.forward(this.norm.forward(h));
  }
}

/** One post-norm encoder layer; member names follow nn.TransformerEncoderLayer. */
export class BertLayer extends Module {
  attention: MultiHeadAttention;
  ln1: LayerNorm;
  linear1: Linear;
  linear2: Linear;
  ln2: LayerNorm;
  dropout: Dropout;
  private readonly _act: (x: MxArray) => MxArray;

  constructor(config: BertConfig) {
    super();
    const h = config.hiddenSize;
    this.attention = new MultiHeadAttention(h, config.numAttentionHeads, { bias: true, dropout: config.attentionProbsDropoutProb });
    this.ln1 = new LayerNorm(h, { eps: config.layerNormEps });
    this.linear1 = new Linear(h, config.intermediateSize);
    this.linear2 = new Linear(config.intermediateSize, h);
    this.ln2 = new LayerNorm(h, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb);
    this._act = HF_ACTIVATIONS[config.hiddenAct];
  }

  override forward(x: MxArray, mask: MxArray | null): MxArray {
    const h = this.ln1.forward(this.dropout.forward(this.attention.forward(x, x, x, mask)), x);
    const y = this.dropout.forward(this.linear2.forward(this._act(this.linear1.forward(h))));
    return this.ln2.forward(y, h);
  }
}

/** dense + tanh over the [CLS] vector (BertPooler). */
export class BertPooler extends Module {
  dense: Linear;

  constructor(config: BertConfig) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize);
  }

  override forward(hidden: MxArray): MxArray {
    return mx.tanh(this.dense.forward(mx.take(hidden, 0, 1)));
  }
}

export class BertModel extends Module {
  // '_' keeps the config out of the parameter tree.
  private readonly _config: BertConfig;
  embeddings: BertEmbeddings;
  layers: BertLayer[];
  pooler?: BertPooler;

  constructor(config: BertConfig) {
    super();
    this._config = checkConfig({ ...config });
    this.embeddings = new BertEmbeddings(config);
    this.layers = Array.from({ length: config.numHiddenLayers }, () => new BertLayer(config));
    if (config.addPoolingLayer) this.pooler = new BertPooler(config);
    else delete this.pooler;
    initBertWeights(this, config.initializerRange);
  }

  get config(): BertConfig {
    return this._config;
  }

  protected override extraRepr(): string {
    const c = this.config;
    return `layers=${c.numHiddenLayers}, hidden=${c.hiddenSize}, heads=${c.numAttentionHeads}, ffn=${c.intermediateSize}, vocab=${c.vocabSize}`;
  }

  /** token ids [B, T] → last hidden state [B, T, hidden]. */
  override forward(inputIds: MxArray, inputs: EncoderInputs = {}): MxArray {
    checkInputs(this, inputIds, inputs, this.config.maxPositionEmbeddings);
    let h = this.embeddings.forward(inputIds, inputs.tokenTypeIds);
    const mask = paddingAttentionMask(inputs.attentionMask, h.dtype);
    const checkpoint = this.config.gradientCheckpointing === true;
    for (const layer of this.layers) h = stackLayerForward(layer, checkpoint, h, mask);
    return h;
  }

  /** The pooler output [B, hidden] for a last hidden state (HF's pooler_output). */
  poolerOutput(hidden: MxArray): MxArray {
    if (!this.pooler) throw new ShapeError(`${this.describe()}: this model has no pooler (add_pooling_layer is false)`);
    return this.pooler.forward(hidden);
  }
}

export class BertForSequenceClassification extends Module {
  private readonly _config: BertConfig;
  bert: BertModel;
  dropout: Dropout;
  classifier: Linear;

  constructor(config: BertConfig) {
    super();
    // HF's classifier reads the pooler output, so a 'cls' head needs the pooler.
    this._config = checkConfig({ ...config, addPoolingLayer: config.classifierPooling === 'cls' ? true : config.addPoolingLayer });
    this.bert = new BertModel(this._config);
    this.dropout = new Dropout(config.classifierDropout ?? config.hiddenDropoutProb);
    this.classifier = new Linear(config.hiddenSize, config.numLabels);
    initBertWeights(this.classifier, config.initializerRange);
  }

  get config(): BertConfig {
    return this._config;
  }

  protected override extraRepr(): string {
    return `numLabels=${this.config.numLabels}, pooling=${this.config.classifierPooling}`;
  }

  /** token ids [B, T] → logits [B, numLabels]. */
  override forward(inputIds: MxArray, inputs: EncoderInputs = {}): MxArray {
    const hidden = this.bert.forward(inputIds, inputs);
    const pooled = this.config.classifierPooling === 'cls' ? this.bert.poolerOutput(hidden) : pool(hidden, inputs.attentionMask, 'mean');
    return this.classifier.forward(this.dropout.forward(pooled));
  }
}
