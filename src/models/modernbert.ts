/**
 * ModernBERT (Hugging Face ModernBertModel layout): token embeddings + LayerNorm, pre-norm layers with
 * rotary attention (one fused qkv projection, no biases by default) and a GeGLU MLP, global attention on
 * the layers marked 'full_attention' and a sliding window of ±localAttention/2 tokens on the others,
 * and a final LayerNorm. Layer 0 has no attention norm (the embeddings were just normalized).
 */
import type { MxArray } from '../core/array.js';
import * as mx from '../core/index.js';
import { addOnPath } from '../nn/layers/residual.js';
import { stackLayerForward } from '../nn/recompute.js';
import { Dropout, Embedding, LayerNorm, Linear, Module, scaledDotProductAttention } from '../nn/index.js';
import { checkInputs, type EncoderInputs } from './bert.js';
import { checkConfig, HF_ACTIVATIONS, type LayerType, type ModernBertConfig } from './config.js';
import { initBertWeights } from './init.js';
import { paddingAttentionMask, slidingWindowAttentionMask } from './masks.js';
import { pool } from './pooling.js';

const normOptions = (c: ModernBertConfig) => ({ eps: c.normEps, bias: c.normBias });

export class ModernBertEmbeddings extends Module {
  tokenEmbeddings: Embedding;
  norm: LayerNorm;
  dropout: Dropout;

  constructor(config: ModernBertConfig) {
    super();
    this.tokenEmbeddings = new Embedding(config.vocabSize, config.hiddenSize);
    this.norm = new LayerNorm(config.hiddenSize, normOptions(config));
    this.dropout = new Dropout(config.embeddingDropout);
  }

  override forward(inputIds: MxArray): MxArray {
    return this.dropout.forward(this.norm.forward(this.tokenEmbeddings.forward(inputIds)));
  }
}

/** Self-attention with rotary positions on q and k; the rotation base depends on the layer type. */
export class ModernBertAttention extends Module {
  qkvProj: Linear;
  outProj: Linear;
  dropout: Dropout;
  readonly numHeads: number;
  readonly ropeBase: number;

  constructor(config: ModernBertConfig, layerType: LayerType) {
    super();
    const h = config.hiddenSize;
    this.numHeads = config.numAttentionHeads;
    this.qkvProj = new Linear(h, 3 * h, { bias: config.attentionBias });
    this.outProj = new Linear(h, h, { bias: config.attentionBias });
    this.dropout = new Dropout(config.attentionDropout);
    this.ropeBase = layerType === 'full_attention' ? config.globalRopeTheta : config.localRopeTheta;
  }

  override forward(x: MxArray, mask: MxArray | null): MxArray {
    const [b, t, h] = x.shape;
    const headDim = h / this.numHeads;
    // [B, T, 3, N, D] → three [B, N, T, D] (HF views Wqkv's output as q | k | v, each split into heads).
    const qkv = mx.transpose(mx.reshape(this.qkvProj.forward(x), [b, t, 3, this.numHeads, headDim]), [2, 0, 3, 1, 4]);
    const [q, k, v] = [0, 1, 2].map((i) => mx.take(qkv, i, 0));
    const rq = mx.fast.rope(q, headDim, { base: this.ropeBase });
    const rk = mx.fast.rope(k, headDim, { base: this.ropeBase });
    // HF's ModernBERT drops attention probabilities and the projected output with the same probability.
    const out = scaledDotProductAttention(rq, rk, v, 1 / Math.sqrt(headDim), mask, this.training ? this.dropout.p : 0);
    return this.dropout.forward(this.outProj.forward(mx.reshape(mx.transpose(out, [0, 2, 1, 3]), [b, t, h])));
  }
}

/** GeGLU: outputProj(act(a) · g) where [a | g] = inputProj(x) (HF's Wi holds both halves). */
export class ModernBertMLP extends Module {
  inputProj: Linear;
  outputProj: Linear;
  dropout: Dropout;
  private readonly _act: (x: MxArray) => MxArray;

  constructor(config: ModernBertConfig) {
    super();
    this.inputProj = new Linear(config.hiddenSize, 2 * config.intermediateSize, { bias: config.mlpBias });
    this.outputProj = new Linear(config.intermediateSize, config.hiddenSize, { bias: config.mlpBias });
    this.dropout = new Dropout(config.mlpDropout);
    this._act = HF_ACTIVATIONS[config.hiddenActivation];
  }

  override forward(x: MxArray): MxArray {
    const [a, g] = mx.split(this.inputProj.forward(x), 2, -1);
    return this.outputProj.forward(this.dropout.forward(mx.multiply(this._act(a), g)));
  }
}

export class ModernBertLayer extends Module {
  attentionNorm?: LayerNorm;
  attention: ModernBertAttention;
  mlpNorm: LayerNorm;
  mlp: ModernBertMLP;
  readonly layerType: LayerType;

  constructor(config: ModernBertConfig, index: number) {
    super();
    this.layerType = config.layerTypes[index];
    if (index > 0) this.attentionNorm = new LayerNorm(config.hiddenSize, normOptions(config));
    else delete this.attentionNorm;
    this.attention = new ModernBertAttention(config, this.layerType);
    this.mlpNorm = new LayerNorm(config.hiddenSize, normOptions(config));
    this.mlp = new ModernBertMLP(config);
  }

  override forward(x: MxArray, mask: MxArray | null): MxArray {
    const h = addOnPath(x, this.attention.forward(this.attentionNorm ? this.attentionNorm.forward(x) : x, mask));
    return addOnPath(h, this.mlp.forward(this.mlpNorm.forward(h)));
  }
}

export class ModernBertModel extends Module {
  private readonly _config: ModernBertConfig;
  embeddings: ModernBertEmbeddings;
  layers: ModernBertLayer[];
  finalNorm: LayerNorm;

  constructor(config: ModernBertConfig) {
    super();
    this._config = checkConfig({ ...config, layerTypes: [...config.layerTypes] });
    this.embeddings = new ModernBertEmbeddings(config);
    this.layers = Array.from({ length: config.numHiddenLayers }, (_, i) => new ModernBertLayer(config, i));
    this.finalNorm = new LayerNorm(config.hiddenSize, normOptions(config));
    initBertWeights(this, config.initializerRange);
  }

  get config(): ModernBertConfig {
    return this._config;
  }

  protected override extraRepr(): string {
    const c = this.config;
    return `layers=${c.numHiddenLayers}, hidden=${c.hiddenSize}, heads=${c.numAttentionHeads}, ffn=${c.intermediateSize}, window=${c.localAttention}`;
  }

  /** token ids [B, T] → last hidden state [B, T, hidden] (tokenTypeIds are not used by ModernBERT). */
  override forward(inputIds: MxArray, inputs: EncoderInputs = {}): MxArray {
    checkInputs(this, inputIds, inputs);
    let h = this.embeddings.forward(inputIds);
    const t = inputIds.shape[1];
    const masks: Record<LayerType, MxArray | null> = {
      full_attention: paddingAttentionMask(inputs.attentionMask, h.dtype),
      sliding_attention: this.config.layerTypes.includes('sliding_attention')
        ? slidingWindowAttentionMask(t, Math.floor(this.config.localAttention / 2), inputs.attentionMask, h.dtype)
        : null,
    };
    const checkpoint = this.config.gradientCheckpointing === true;
    for (const layer of this.layers) {
      const mask = masks[layer.layerType];
      h = stackLayerForward(layer, checkpoint, h, mask);
    }
    return this.finalNorm.forward(h);
  }
}

/** dense → activation → LayerNorm on the pooled vector (ModernBertPredictionHead). */
export class ModernBertPredictionHead extends Module {
  dense: Linear;
  norm: LayerNorm;
  private readonly _act: (x: MxArray) => MxArray;

  constructor(config: ModernBertConfig) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, { bias: config.classifierBias });
    this.norm = new LayerNorm(config.hiddenSize, normOptions(config));
    this._act = HF_ACTIVATIONS[config.classifierActivation];
  }

  override forward(x: MxArray): MxArray {
    return this.norm.forward(this._act(this.dense.forward(x)));
  }
}

export class ModernBertForSequenceClassification extends Module {
  private readonly _config: ModernBertConfig;
  model: ModernBertModel;
  head: ModernBertPredictionHead;
  dropout: Dropout;
  classifier: Linear;

  constructor(config: ModernBertConfig) {
    super();
    this._config = checkConfig({ ...config, layerTypes: [...config.layerTypes] });
    this.model = new ModernBertModel(config);
    this.head = new ModernBertPredictionHead(config);
    this.dropout = new Dropout(config.classifierDropout ?? 0);
    this.classifier = new Linear(config.hiddenSize, config.numLabels);
    initBertWeights(this.head, config.initializerRange);
    initBertWeights(this.classifier, config.initializerRange);
  }

  get config(): ModernBertConfig {
    return this._config;
  }

  protected override extraRepr(): string {
    return `numLabels=${this.config.numLabels}, pooling=${this.config.classifierPooling}`;
  }

  /** token ids [B, T] → logits [B, numLabels]. */
  override forward(inputIds: MxArray, inputs: EncoderInputs = {}): MxArray {
    const hidden = this.model.forward(inputIds, inputs);
    const pooled = pool(hidden, inputs.attentionMask, this.config.classifierPooling);
    return this.classifier.forward(this.dropout.forward(this.head.forward(pooled)));
  }
}
