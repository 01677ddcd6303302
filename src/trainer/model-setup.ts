/**
 * Builds the model a TrainingConfig asks for: a custom factory, a fresh BERT/ModernBERT of a size preset,
 * or a pretrained Hugging Face folder with the head (label count, pooling) the data needs; then the
 * quantized base and LoRA adapters of training.quantization / training.lora.
 *
 * A pretrained checkpoint is read once. With quantization on, loadPretrained quantizes each Linear
 * weight as it is read and frees its float copy at once, so setup never holds the float model: the peak
 * is the quantized model plus one float tensor (test/trainer/model-setup.test.ts measures it).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainingConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { bertConfig, createModel, loadPretrained, modernBertConfig } from '../models/index.js';
import { withDropout } from '../models/config.js';
import { LoRALinear, Linear, Module, quantize } from '../nn/index.js';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.js';

export interface ModelRequest {
  vocabSize: number;
  numLabels: number;
  padTokenId: number;
}

export type ModelFactory = (info: ModelRequest & { config: TrainingConfig }) => Module;

/** Heads (classifier, ModernBERT's head) stay in float and train with LoRA. */
const isHead = (path: string) => /(^|\.)classifier(\.|$)|(^|\.)head(\.|$)/.test(path);

/**
 * The tokenizer a pretrained folder ships (tokenizer.json or vocab.txt), or null when it has none. Read
 * before the data is prepared, since the label count (and so the head) comes from the data.
 */
export function pretrainedTokenizer(dir: string): Tokenizer | null {
  // A missing folder or config.json: loadPretrained names the problem (and throws before reading weights).
  if (!existsSync(join(dir, 'config.json'))) loadPretrained(dir, { tokenizer: false });
  return ['tokenizer.json', 'vocab.txt'].some((f) => existsSync(join(dir, f))) ? loadTokenizer(dir) : null;
}

/** `model.dropout` when the config leaves it null and the model is trained from scratch. */
const DEFAULT_DROPOUT = 0.1;

/** The model of config `c` for data with `info`'s vocabulary and labels, quantized and LoRA-wrapped as asked. */
export function buildModel(c: TrainingConfig, info: ModelRequest, factory?: ModelFactory): Module {
  const q = c.training.quantization;
  let model: Module;
  let quantized = false;
  if (factory) model = factory({ ...info, config: c });
  else if (c.model.pretrained) {
    model = loadPretrained(c.model.pretrained, {
      task: 'sequence-classification',
      numLabels: info.numLabels,
      tokenizer: false,
      config: { classifierPooling: c.model.pooling, gradientCheckpointing: c.model.gradientCheckpointing },
      // null keeps the checkpoint's own dropout.
      ...(c.model.dropout !== null ? { dropout: c.model.dropout } : {}),
      quantize: q.enabled ? { bits: q.bits, groupSize: q.groupSize, classPredicate: quantizable(q) } : undefined,
    }).model;
    quantized = q.enabled;
  } else {
    const common = { vocabSize: info.vocabSize, numLabels: info.numLabels, padTokenId: info.padTokenId, maxPositionEmbeddings: Math.max(c.model.maxLength, 8), classifierPooling: c.model.pooling, gradientCheckpointing: c.model.gradientCheckpointing };
    const cfg = c.model.architecture === 'bert' ? bertConfig(c.model.size, common) : modernBertConfig(c.model.size, common);
    model = createModel(withDropout(cfg, c.model.dropout ?? DEFAULT_DROPOUT), 'sequence-classification') as Module;
  }
  applyAdapters(model, c, { quantized });
  return model;
}

type Quantization = TrainingConfig['training']['quantization'];

const quantizable = (q: Quantization) => (path: string, m: Module) => m instanceof Linear && !isHead(path) && m.inputDims % q.groupSize === 0;

/**
 * Quantization and LoRA from the config: quantize the Linear layers (a frozen base; skipped when
 * `quantized` says the loader already did), then wrap the target layers (by member name, e.g. 'query'
 * matches queryProj) in LoRALinear; with LoRA only the adapters and the classifier head train.
 */
export function applyAdapters(model: Module, c: TrainingConfig, options: { quantized?: boolean } = {}): void {
  const q = c.training.quantization;
  const lora = c.training.lora;
  if (q.enabled && !options.quantized) quantize(model, { bits: q.bits, groupSize: q.groupSize, classPredicate: quantizable(q) });
  if (!lora.enabled) return;
  model.freeze();
  const targets = lora.targetModules.map((t) => t.toLowerCase());
  let wrapped = 0;
  for (const [, parent] of model.namedModules()) {
    for (const [key, child] of Object.entries(parent)) {
      if (!(child instanceof Module) || key.startsWith('_')) continue;
      const isLinear = child.constructor.name === 'Linear' || child.constructor.name === 'QuantizedLinear';
      if (isLinear && targets.some((t) => key.toLowerCase().startsWith(t))) {
        (parent as unknown as Record<string, unknown>)[key] = LoRALinear.fromBase(child as never, { rank: lora.rank, alpha: lora.alpha, dropout: lora.dropout });
        wrapped++;
      }
    }
  }
  if (wrapped === 0) throw new ConfigError(`training.lora.targetModules ${JSON.stringify(lora.targetModules)} matched no Linear layer of the model`);
  for (const [path, m] of model.namedModules()) if (isHead(path)) m.unfreeze();
}
