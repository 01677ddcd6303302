/** mlx-train/models: BERT and ModernBERT encoders and classifiers, size presets, and Hugging Face checkpoint folders. */
export {
  bertConfig, modernBertConfig, bertConfigFromHf, modernBertConfigFromHf, configFromHf, configToHf, stringifyHfConfig, checkConfig, alternatingLayerTypes,
  SIZE_PRESETS, HF_ACTIVATIONS,
  type BertConfig, type ModernBertConfig, type ModelConfig, type ModelType, type ClassifierConfig, type Pooling, type LayerType, type SizePreset,
} from './config.js';
export { BertModel, BertForSequenceClassification, BertEmbeddings, BertLayer, BertPooler, type EncoderInputs } from './bert.js';
export {
  ModernBertModel, ModernBertForSequenceClassification, ModernBertEmbeddings, ModernBertLayer, ModernBertAttention, ModernBertMLP, ModernBertPredictionHead,
} from './modernbert.js';
export { meanPool, clsPool, pool } from './pooling.js';
export { paddingAttentionMask, slidingWindowAttentionMask, slidingWindowMask, keyPaddingMask } from './masks.js';
export { toHfName, fromHfName, type Task } from './weight-map.js';
export {
  loadPretrained, savePretrained, createModel, architectureOf,
  type LoadPretrainedOptions, type SavePretrainedOptions, type LoadReport, type Pretrained, type PretrainedModel, type EncoderModel, type ClassifierModel,
} from './hf-folder.js';
export { readSafetensorsHeader, type TensorInfo } from './safetensors-header.js';
export { CheckpointError } from './errors.js';
