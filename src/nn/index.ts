/** mlx-train/nn: layers, losses and initializers following mlx.nn's names in camelCase. */
export { Module, type FreezeOptions, type LoadWeightsOptions } from './module.js';
export { Linear, Identity } from './layers/linear.js';
export { Embedding } from './layers/embedding.js';
export { LayerNorm, RMSNorm, type LayerNormOptions } from './layers/normalization.js';
export { Dropout } from './layers/dropout.js';
export {
  gelu, geluApprox, geluFastApprox, silu, relu, tanh, GELU, SiLU, ReLU, Tanh, type GeluApprox, type Activation, type ActivationName,
} from './layers/activations.js';
export { GatedMLP, type GatedMLPOptions } from './layers/gated-mlp.js';
export { MultiHeadAttention, scaledDotProductAttention, type MultiHeadAttentionOptions, type AttentionMask } from './layers/attention.js';
export { RoPE, type RoPEOptions } from './layers/positional.js';
export { TransformerEncoderLayer, TransformerEncoder, type TransformerEncoderLayerOptions, type TransformerEncoderOptions } from './layers/transformer.js';
export { Sequential, type Layer } from './layers/containers.js';
export { QuantizedLinear, quantize, type QuantizationOptions, type QuantizeModelOptions } from './layers/quantized.js';
export { LoRALinear, type LoRAOptions } from './layers/lora.js';
export { fuseLoRA, type FuseLoRAOptions } from './fuse.js';
export { valueAndGrad, moduleState } from './value-and-grad.js';
export { checkpoint } from './recompute.js';
export * as init from './init.js';
export * as losses from './losses.js';
