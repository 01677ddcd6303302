/**
 * Model configs in camelCase, read from and written to Hugging Face `config.json` keys (BertConfig,
 * ModernBertConfig), plus size presets for training from scratch. Keys of config.json that we do not
 * use are kept in `extra` so a loaded-then-saved folder keeps them.
 */
import type { MxArray } from '../core/array.js';
import { describeValue } from '../errors.js';
import { gelu, geluApprox, relu, silu, tanh } from '../nn/index.js';
import { CheckpointError } from './errors.js';

export type Pooling = 'cls' | 'mean';
export type LayerType = 'full_attention' | 'sliding_attention';

/** The sequence-classification head shared by both families. */
export interface ClassifierConfig {
  numLabels: number;
  /** Label names by class index (config.json's id2label). */
  id2label?: Record<string, string>;
  /** 'cls' (first token; BERT runs it through its pooler) or 'mean' over the attention mask. */
  classifierPooling: Pooling;
  /** Dropout before the classifier; null = the hidden dropout (BERT's rule). */
  classifierDropout: number | null;
}

/** How the encoder runs, shared by both families; a training choice, so not read from or written to config.json. */
export interface EncoderRunConfig {
  /**
   * Recompute each encoder layer's activations in the backward pass instead of keeping them (nn.checkpoint):
   * less memory for about one more forward pass of compute. Default false.
   */
  gradientCheckpointing?: boolean;
}

export interface BertConfig extends ClassifierConfig, EncoderRunConfig {
  modelType: 'bert';
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  hiddenDropoutProb: number;
  /** config.json's attention_probs_dropout_prob: dropout on the attention probabilities, as HF's BERT. */
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  initializerRange: number;
  /** The [CLS] pooler (dense + tanh); HF BertModel has one by default. */
  addPoolingLayer: boolean;
  extra: Record<string, unknown>;
}

export interface ModernBertConfig extends ClassifierConfig, EncoderRunConfig {
  modelType: 'modernbert';
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenActivation: string;
  maxPositionEmbeddings: number;
  normEps: number;
  normBias: boolean;
  attentionBias: boolean;
  mlpBias: boolean;
  attentionDropout: number;
  embeddingDropout: number;
  mlpDropout: number;
  /** One entry per layer: global ('full_attention') or local ('sliding_attention'). */
  layerTypes: LayerType[];
  /** Total width of the local window: a token sees neighbours at distance ≤ localAttention / 2. */
  localAttention: number;
  globalRopeTheta: number;
  localRopeTheta: number;
  padTokenId: number;
  initializerRange: number;
  classifierBias: boolean;
  classifierActivation: string;
  extra: Record<string, unknown>;
}

export type ModelConfig = BertConfig | ModernBertConfig;
export type ModelType = ModelConfig['modelType'];
export type SizePreset = 'tiny' | 'mini' | 'small' | 'base';

/** Layers / hidden / heads / FFN width of each preset. */
export const SIZE_PRESETS: Record<SizePreset, { numHiddenLayers: number; hiddenSize: number; numAttentionHeads: number; intermediateSize: number }> = {
  tiny: { numHiddenLayers: 2, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512 },
  mini: { numHiddenLayers: 4, hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024 },
  small: { numHiddenLayers: 4, hiddenSize: 512, numAttentionHeads: 8, intermediateSize: 2048 },
  base: { numHiddenLayers: 12, hiddenSize: 768, numAttentionHeads: 12, intermediateSize: 3072 },
};

/**
 * The config with one dropout probability where the encoder uses it: BERT's hidden dropout (embeddings,
 * layer outputs, and the head, which falls back to it; attention probabilities are not dropped here, so
 * its attention-probability value is set only to keep config.json consistent), ModernBERT's embedding and
 * MLP dropout. The trainer's `model.dropout` means the same whether the model is new or loaded.
 */
export function withDropout<C extends ModelConfig>(config: C, p: number): C {
  if (config.modelType === 'bert') return { ...config, hiddenDropoutProb: p, attentionProbsDropoutProb: p, classifierDropout: null };
  return { ...config, embeddingDropout: p, mlpDropout: p };
}

/** ModernBERT's pattern: every n-th layer (from 0) attends globally, the others locally. */
export function alternatingLayerTypes(numLayers: number, globalEveryN: number): LayerType[] {
  return Array.from({ length: numLayers }, (_, i) => (i % globalEveryN === 0 ? 'full_attention' : 'sliding_attention'));
}

const CLASSIFIER_DEFAULTS: ClassifierConfig & EncoderRunConfig = { numLabels: 2, classifierPooling: 'cls', classifierDropout: null, gradientCheckpointing: false };

function bertDefaults(): Omit<BertConfig, 'vocabSize' | 'hiddenSize' | 'numHiddenLayers' | 'numAttentionHeads' | 'intermediateSize'> {
  return {
    ...CLASSIFIER_DEFAULTS,
    modelType: 'bert', hiddenAct: 'gelu', hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 512,
    typeVocabSize: 2, layerNormEps: 1e-12, padTokenId: 0, initializerRange: 0.02, addPoolingLayer: true, extra: {},
  };
}

function modernBertDefaults(numLayers: number): Omit<ModernBertConfig, 'vocabSize' | 'hiddenSize' | 'numHiddenLayers' | 'numAttentionHeads' | 'intermediateSize'> {
  return {
    ...CLASSIFIER_DEFAULTS, classifierDropout: 0,
    modelType: 'modernbert', hiddenActivation: 'gelu', maxPositionEmbeddings: 8192, normEps: 1e-5, normBias: false, attentionBias: false,
    mlpBias: false, attentionDropout: 0, embeddingDropout: 0, mlpDropout: 0, layerTypes: alternatingLayerTypes(numLayers, 3),
    localAttention: 128, globalRopeTheta: 160000, localRopeTheta: 10000, padTokenId: 50283, initializerRange: 0.02,
    classifierBias: false, classifierActivation: 'gelu', extra: {},
  };
}

/** A BERT config of a preset size; `overrides` set anything else (vocabSize, numLabels, …). */
export function bertConfig(size: SizePreset = 'base', overrides: Partial<BertConfig> = {}): BertConfig {
  const sizes = presetSizes(size);
  return checkConfig({ ...bertDefaults(), vocabSize: 30522, maxPositionEmbeddings: 512, ...sizes, ...overrides, modelType: 'bert' });
}

/** A ModernBERT config of a preset size (global attention every 3rd layer, window 128). */
export function modernBertConfig(size: SizePreset = 'base', overrides: Partial<ModernBertConfig> = {}): ModernBertConfig {
  const sizes = presetSizes(size);
  const numLayers = overrides.numHiddenLayers ?? sizes.numHiddenLayers;
  return checkConfig({ ...modernBertDefaults(numLayers), vocabSize: 50368, padTokenId: 0, maxPositionEmbeddings: 512, ...sizes, ...overrides, modelType: 'modernbert' });
}

function presetSizes(size: SizePreset) {
  const sizes = SIZE_PRESETS[size];
  if (!sizes) throw new TypeError(`expected one of ${Object.keys(SIZE_PRESETS).join(', ')} for the size preset but received ${describeValue(size)}`);
  return sizes;
}

/** Checks the numbers that must fit together (and that the activation is one we have). */
export function checkConfig<C extends ModelConfig>(config: C, file?: string): C {
  const fail = (key: string, msg: string): never => {
    throw new CheckpointError(`config key '${key}' ${msg}`, { file, key });
  };
  const ints = ['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'numLabels'] as const;
  for (const k of ints) {
    const v = (config as unknown as Record<string, unknown>)[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail(snake(k), `must be a positive integer but is ${describeValue(v)}`);
  }
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    fail('hidden_size', `(${config.hiddenSize}) must be divisible by num_attention_heads (${config.numAttentionHeads})`);
  }
  if (config.gradientCheckpointing !== undefined && typeof config.gradientCheckpointing !== 'boolean') {
    fail('gradient_checkpointing', `must be a boolean but is ${describeValue(config.gradientCheckpointing)}`);
  }
  if (config.classifierPooling !== 'cls' && config.classifierPooling !== 'mean') fail('classifier_pooling', `must be 'cls' or 'mean' but is ${describeValue(config.classifierPooling)}`);
  const act = config.modelType === 'bert' ? config.hiddenAct : config.hiddenActivation;
  if (!Object.hasOwn(HF_ACTIVATIONS, act)) fail(config.modelType === 'bert' ? 'hidden_act' : 'hidden_activation', `names an activation we lack: ${describeValue(act)} (expected one of ${Object.keys(HF_ACTIVATIONS).join(', ')})`);
  if (config.modelType === 'bert') {
    if (!Number.isInteger(config.typeVocabSize) || config.typeVocabSize <= 0) fail('type_vocab_size', `must be a positive integer but is ${describeValue(config.typeVocabSize)}`);
  } else {
    if (config.layerTypes.length !== config.numHiddenLayers) fail('layer_types', `has ${config.layerTypes.length} entries but num_hidden_layers is ${config.numHiddenLayers}`);
    config.layerTypes.forEach((t, i) => {
      if (t !== 'full_attention' && t !== 'sliding_attention') fail('layer_types', `[${i}] must be 'full_attention' or 'sliding_attention' but is ${describeValue(t)}`);
    });
    if (!Number.isInteger(config.localAttention) || config.localAttention < 2) fail('local_attention', `must be an integer ≥ 2 but is ${describeValue(config.localAttention)}`);
    if (!Object.hasOwn(HF_ACTIVATIONS, config.classifierActivation)) fail('classifier_activation', `names an activation we lack: ${describeValue(config.classifierActivation)}`);
    if ((config.hiddenSize / config.numAttentionHeads) % 2 !== 0) fail('hidden_size', 'divided by num_attention_heads must be even for rotary embeddings');
  }
  return config;
}

/** Hugging Face activation names (ACT2FN) → the nn activation functions. */
export const HF_ACTIVATIONS: Record<string, (x: MxArray) => MxArray> = {
  gelu,
  gelu_new: geluApprox,
  gelu_pytorch_tanh: geluApprox,
  gelu_python: gelu,
  relu,
  silu,
  swish: silu,
  tanh,
};

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

type Json = Record<string, unknown>;

/** Reads one key of config.json: `required` keys must be there; the type is checked either way. */
function reader(json: Json, file: string) {
  const used = new Set<string>();
  function get<T>(key: string, kind: 'number' | 'boolean' | 'string' | 'object', fallback?: T, nullable = false): T {
    used.add(key);
    const v = json[key];
    if (v === undefined || (v === null && !nullable && fallback !== undefined)) {
      if (fallback === undefined) throw new CheckpointError(`missing config key '${key}'`, { file, key });
      return fallback;
    }
    if (v === null && nullable) return v as T;
    if (typeof v !== kind || v === null) throw new CheckpointError(`config key '${key}' must be a ${kind} but is ${describeValue(v)}`, { file, key });
    return v as T;
  }
  return { get, used };
}

function classifierFromHf(get: ReturnType<typeof reader>['get'], json: Json, file: string, poolingDefault: Pooling): ClassifierConfig {
  const id2label = json.id2label == null ? undefined : get<Record<string, string>>('id2label', 'object');
  const numLabels = json.num_labels !== undefined ? get<number>('num_labels', 'number') : id2label ? Object.keys(id2label).length : 2;
  if (id2label && Object.keys(id2label).length !== numLabels) {
    throw new CheckpointError(`config key 'id2label' has ${Object.keys(id2label).length} labels but num_labels is ${numLabels}`, { file, key: 'id2label' });
  }
  return {
    numLabels,
    id2label: id2label ?? undefined,
    classifierPooling: get<Pooling>('classifier_pooling', 'string', poolingDefault),
    classifierDropout: get<number | null>('classifier_dropout', 'number', null as never, true) ?? null,
  };
}

/** A BertConfig from the object in a `config.json` (model_type 'bert'). */
export function bertConfigFromHf(json: Json, file = 'config.json'): BertConfig {
  const { get, used } = reader(json, file);
  const d = bertDefaults();
  const positionType = get<string>('position_embedding_type', 'string', 'absolute');
  if (positionType !== 'absolute') {
    throw new CheckpointError(`config key 'position_embedding_type' is '${positionType}'; only 'absolute' position embeddings are supported`, { file, key: 'position_embedding_type' });
  }
  if ('id2label' in json) used.add('id2label');
  const config: BertConfig = {
    modelType: 'bert',
    vocabSize: get('vocab_size', 'number'),
    hiddenSize: get('hidden_size', 'number'),
    numHiddenLayers: get('num_hidden_layers', 'number'),
    numAttentionHeads: get('num_attention_heads', 'number'),
    intermediateSize: get('intermediate_size', 'number'),
    hiddenAct: get('hidden_act', 'string', d.hiddenAct),
    hiddenDropoutProb: get('hidden_dropout_prob', 'number', d.hiddenDropoutProb),
    attentionProbsDropoutProb: get('attention_probs_dropout_prob', 'number', d.attentionProbsDropoutProb),
    maxPositionEmbeddings: get('max_position_embeddings', 'number', d.maxPositionEmbeddings),
    typeVocabSize: get('type_vocab_size', 'number', d.typeVocabSize),
    layerNormEps: get('layer_norm_eps', 'number', d.layerNormEps),
    padTokenId: get('pad_token_id', 'number', d.padTokenId),
    initializerRange: get('initializer_range', 'number', d.initializerRange),
    addPoolingLayer: get('add_pooling_layer', 'boolean', true),
    ...classifierFromHf(get, json, file, 'cls'),
    gradientCheckpointing: false,
    extra: {},
  };
  for (const k of ['num_labels', 'label2id', 'model_type']) used.add(k);
  config.extra = Object.fromEntries(Object.entries(json).filter(([k]) => !used.has(k)));
  return checkConfig(config, file);
}

/** A ModernBertConfig from `config.json` (model_type 'modernbert'), old keys (global_attn_every_n_layers,
 * global/local_rope_theta) and transformers-5 keys (layer_types, rope_parameters, sliding_window) alike. */
export function modernBertConfigFromHf(json: Json, file = 'config.json'): ModernBertConfig {
  const { get, used } = reader(json, file);
  const numLayers = get<number>('num_hidden_layers', 'number');
  const d = modernBertDefaults(Number.isInteger(numLayers) && numLayers > 0 ? numLayers : 1);
  const every = get<number>('global_attn_every_n_layers', 'number', 3);
  const layerTypes = json.layer_types != null ? (get<LayerType[]>('layer_types', 'object') as LayerType[]) : alternatingLayerTypes(d.layerTypes.length, every);
  if (!Array.isArray(layerTypes)) throw new CheckpointError(`config key 'layer_types' must be a list but is ${describeValue(layerTypes)}`, { file, key: 'layer_types' });
  const rope = (json.rope_parameters ?? {}) as Record<string, { rope_theta?: number; rope_type?: string } | null>;
  used.add('rope_parameters');
  for (const [type, p] of Object.entries(rope)) {
    if (p && p.rope_type !== undefined && p.rope_type !== 'default') {
      throw new CheckpointError(`config key 'rope_parameters.${type}.rope_type' is '${p.rope_type}'; only 'default' rotary embeddings are supported`, { file, key: 'rope_parameters' });
    }
  }
  const localAttention = json.sliding_window != null && json.local_attention == null ? 2 * get<number>('sliding_window', 'number') : get<number>('local_attention', 'number', d.localAttention);
  used.add('sliding_window');
  if ('id2label' in json) used.add('id2label');
  const config: ModernBertConfig = {
    modelType: 'modernbert',
    vocabSize: get('vocab_size', 'number'),
    hiddenSize: get('hidden_size', 'number'),
    numHiddenLayers: numLayers,
    numAttentionHeads: get('num_attention_heads', 'number'),
    intermediateSize: get('intermediate_size', 'number'),
    hiddenActivation: get('hidden_activation', 'string', d.hiddenActivation),
    maxPositionEmbeddings: get('max_position_embeddings', 'number', d.maxPositionEmbeddings),
    normEps: get('norm_eps', 'number', d.normEps),
    normBias: get('norm_bias', 'boolean', d.normBias),
    attentionBias: get('attention_bias', 'boolean', d.attentionBias),
    mlpBias: get('mlp_bias', 'boolean', d.mlpBias),
    attentionDropout: get('attention_dropout', 'number', d.attentionDropout),
    embeddingDropout: get('embedding_dropout', 'number', d.embeddingDropout),
    mlpDropout: get('mlp_dropout', 'number', d.mlpDropout),
    layerTypes,
    localAttention,
    globalRopeTheta: rope.full_attention?.rope_theta ?? get('global_rope_theta', 'number', d.globalRopeTheta),
    localRopeTheta: rope.sliding_attention?.rope_theta ?? get('local_rope_theta', 'number', d.localRopeTheta),
    padTokenId: get('pad_token_id', 'number', d.padTokenId),
    initializerRange: get('initializer_range', 'number', d.initializerRange),
    classifierBias: get('classifier_bias', 'boolean', d.classifierBias),
    classifierActivation: get('classifier_activation', 'string', d.classifierActivation),
    ...classifierFromHf(get, json, file, 'cls'),
    gradientCheckpointing: false,
    extra: {},
  };
  if (config.classifierDropout === null) config.classifierDropout = 0;
  for (const k of ['num_labels', 'label2id', 'model_type']) used.add(k);
  config.extra = Object.fromEntries(Object.entries(json).filter(([k]) => !used.has(k)));
  return checkConfig(config, file);
}

/** Reads a config.json object of either family, by its model_type. */
export function configFromHf(json: unknown, file = 'config.json'): ModelConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CheckpointError(`expected a JSON object but found ${describeValue(json)}`, { file });
  const type = (json as Json).model_type;
  if (type === undefined) throw new CheckpointError("missing config key 'model_type' (expected 'bert' or 'modernbert')", { file, key: 'model_type' });
  if (type === 'bert') return bertConfigFromHf(json as Json, file);
  if (type === 'modernbert') return modernBertConfigFromHf(json as Json, file);
  throw new CheckpointError(`unknown model_type ${describeValue(type)}: mlx-train reads 'bert' and 'modernbert' checkpoints`, { file, key: 'model_type' });
}

function labelsToHf(c: ClassifierConfig): Json {
  const id2label = c.id2label ?? Object.fromEntries(Array.from({ length: c.numLabels }, (_, i) => [String(i), `LABEL_${i}`]));
  return { id2label, label2id: Object.fromEntries(Object.entries(id2label).map(([i, l]) => [l, Number(i)])) };
}

/** The config.json object for a config; `architecture` is e.g. 'BertModel' or 'BertForSequenceClassification'. */
export function configToHf(config: ModelConfig, architecture: string): Json {
  const common = { ...config.extra, architectures: [architecture], model_type: config.modelType };
  if (config.modelType === 'bert') {
    return {
      ...common,
      vocab_size: config.vocabSize, hidden_size: config.hiddenSize, num_hidden_layers: config.numHiddenLayers,
      num_attention_heads: config.numAttentionHeads, intermediate_size: config.intermediateSize, hidden_act: config.hiddenAct,
      hidden_dropout_prob: config.hiddenDropoutProb, attention_probs_dropout_prob: config.attentionProbsDropoutProb,
      max_position_embeddings: config.maxPositionEmbeddings, type_vocab_size: config.typeVocabSize, layer_norm_eps: config.layerNormEps,
      pad_token_id: config.padTokenId, initializer_range: config.initializerRange, position_embedding_type: 'absolute',
      classifier_dropout: config.classifierDropout, ...(config.classifierPooling === 'mean' ? { classifier_pooling: 'mean' } : {}),
      ...labelsToHf(config),
    };
  }
  // Older transformers read global_attn_every_n_layers only: write it when the layer types follow that pattern.
  const second = config.layerTypes.indexOf('full_attention', 1);
  const globalEvery = second === -1 ? config.numHiddenLayers : second;
  const regular = alternatingLayerTypes(config.numHiddenLayers, globalEvery).every((t, i) => t === config.layerTypes[i]);
  return {
    ...common,
    vocab_size: config.vocabSize, hidden_size: config.hiddenSize, num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads, intermediate_size: config.intermediateSize, hidden_activation: config.hiddenActivation,
    max_position_embeddings: config.maxPositionEmbeddings, norm_eps: config.normEps, norm_bias: config.normBias,
    attention_bias: config.attentionBias, mlp_bias: config.mlpBias, attention_dropout: config.attentionDropout,
    embedding_dropout: config.embeddingDropout, mlp_dropout: config.mlpDropout, layer_types: config.layerTypes,
    ...(regular ? { global_attn_every_n_layers: globalEvery } : {}),
    local_attention: config.localAttention,
    rope_parameters: {
      full_attention: { rope_type: 'default', rope_theta: config.globalRopeTheta },
      sliding_attention: { rope_type: 'default', rope_theta: config.localRopeTheta },
    },
    pad_token_id: config.padTokenId, initializer_range: config.initializerRange, classifier_pooling: config.classifierPooling,
    classifier_dropout: config.classifierDropout ?? 0, classifier_bias: config.classifierBias, classifier_activation: config.classifierActivation,
    ...labelsToHf(config),
  };
}

/** Keys that transformers' config dataclasses type as float and may reject as int (2 vs 2.0), at any depth. */
const FLOAT_KEYS = new Set([
  'initializer_range', 'initializer_cutoff_factor', 'norm_eps', 'layer_norm_eps', 'rope_theta', 'hidden_dropout_prob',
  'attention_probs_dropout_prob', 'classifier_dropout', 'attention_dropout', 'embedding_dropout', 'mlp_dropout',
  'global_rope_theta', 'local_rope_theta',
]);

/** JSON text of a config.json object; JSON.parse loses "2.0" vs "2", so float keys get their ".0" back. */
export function stringifyHfConfig(json: Record<string, unknown>): string {
  const marker = '\u0000float:';
  const text = JSON.stringify(json, (key, value) => (FLOAT_KEYS.has(key) && Number.isInteger(value) ? `${marker}${value}` : value), 2);
  return `${text.replace(/"\\u0000float:(-?\d+)"/g, '$1.0')}\n`;
}
