/**
 * Builds the model a TrainingConfig asks for: a custom factory, a fresh BERT/ModernBERT of a size preset,
 * or a pretrained Hugging Face folder with the head (label count, pooling) the data needs; then the
 * quantized base and LoRA adapters of training.quantization / training.lora.
 *
 * A pretrained checkpoint is read once. With quantization on, each Linear weight is quantized as it is
 * read and its float copy freed at once, so setup never holds the float model: the peak is the
 * quantized model plus one float tensor (test/trainer/model-setup.test.ts measures it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../core/index.js';
import type { TrainingConfig } from '../config/schema.js';
import { MlxTrainError } from '../errors.js';
import { bertConfig, configFromHf, createModel, loadPretrained, modernBertConfig, toHfName, type ModelConfig } from '../models/index.js';
import { LoRALinear, Linear, Module, QuantizedLinear, quantize } from '../nn/index.js';
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

/** The model of config `c` for data with `info`'s vocabulary and labels, quantized and LoRA-wrapped as asked. */
export function buildModel(c: TrainingConfig, info: ModelRequest, factory?: ModelFactory): Module {
  const q = c.training.quantization;
  let model: Module;
  let quantized = false;
  if (factory) model = factory({ ...info, config: c });
  else if (c.model.pretrained && q.enabled) {
    model = loadPretrainedQuantized(c.model.pretrained, info.numLabels, c.model.pooling, q, c.model.gradientCheckpointing);
    quantized = true;
  } else if (c.model.pretrained) {
    model = loadPretrained(c.model.pretrained, { task: 'sequence-classification', numLabels: info.numLabels, tokenizer: false, config: { classifierPooling: c.model.pooling, gradientCheckpointing: c.model.gradientCheckpointing } }).model;
  } else {
    const common = { vocabSize: info.vocabSize, numLabels: info.numLabels, padTokenId: info.padTokenId, maxPositionEmbeddings: Math.max(c.model.maxLength, 8), classifierPooling: c.model.pooling, gradientCheckpointing: c.model.gradientCheckpointing };
    const cfg = c.model.architecture === 'bert'
      ? bertConfig(c.model.size, { ...common, hiddenDropoutProb: c.model.dropout, attentionProbsDropoutProb: c.model.dropout })
      : modernBertConfig(c.model.size, { ...common, mlpDropout: c.model.dropout, embeddingDropout: c.model.dropout });
    model = createModel(cfg, 'sequence-classification') as Module;
  }
  applyAdapters(model, c, { quantized });
  return model;
}

type Quantization = TrainingConfig['training']['quantization'];

const quantizable = (q: Quantization) => (path: string, m: Module) => m instanceof Linear && !isHead(path) && m.inputDims % q.groupSize === 0;

/** The checkpoint's tensors by HF name (lazy: nothing is read until evaluated), or null for a layout loadPretrained must explain. */
function checkpointTensors(dir: string): Map<string, mx.Array> | null {
  const index = join(dir, 'model.safetensors.index.json');
  const single = join(dir, 'model.safetensors');
  let files: string[];
  if (existsSync(index)) {
    const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, string> }).weight_map;
    if (!map || typeof map !== 'object') return null;
    files = [...new Set(Object.values(map))].map((f) => join(dir, f));
    if (!files.every(existsSync)) return null;
  } else if (existsSync(single)) files = [single];
  else return null;
  const out = new Map<string, mx.Array>();
  for (const f of files) for (const [name, a] of Object.entries(mx.loadSafetensors(f).arrays)) out.set(name, a);
  return out;
}

/**
 * loadPretrained for a sequence classifier whose Linear layers are quantized while loading: one float
 * weight at a time is read, quantized, evaluated and freed. Name mapping as loadPretrained (bare or
 * prefixed encoder checkpoints, legacy LayerNorm gamma/beta); a head or pooler absent or of another
 * shape keeps its fresh initialisation. Anything else that does not fit is left to loadPretrained to report.
 */
function loadPretrainedQuantized(dir: string, numLabels: number, pooling: TrainingConfig['model']['pooling'], q: Quantization, gradientCheckpointing: boolean): Module {
  const fallback = (): never => {
    loadPretrained(dir, { task: 'sequence-classification', numLabels, tokenizer: false, config: { classifierPooling: pooling } });
    throw new MlxTrainError(`cannot load ${dir} quantized: its weights do not map onto the model`, 'CHECKPOINT_ERROR');
  };
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) fallback();
  let config = configFromHf(JSON.parse(readFileSync(configFile, 'utf8')), configFile);
  config = { ...config, classifierPooling: pooling, numLabels, gradientCheckpointing } as ModelConfig;
  if (config.id2label && Object.keys(config.id2label).length !== numLabels) delete config.id2label;
  const tensors = checkpointTensors(dir) ?? fallback();
  const model = createModel(config, 'sequence-classification') as Module;
  const type = config.modelType;
  const member = type === 'bert' ? 'bert' : 'model';
  const embeddings = type === 'bert' ? 'embeddings.word_embeddings.weight' : 'embeddings.tok_embeddings.weight';
  const prefixed = tensors.has(`${member}.${embeddings}`);
  const nameOf = (path: string): string | undefined => {
    let name = toHfName(path, type, 'sequence-classification');
    if (name === undefined) return undefined;
    if (!prefixed && name.startsWith(`${member}.`)) name = name.slice(member.length + 1);
    if (!tensors.has(name) && name.includes('LayerNorm.')) {
      const legacy = name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta');
      if (tensors.has(legacy)) return legacy;
    }
    return tensors.has(name) ? name : undefined;
  };
  // Plan every parameter before touching anything, so a mismatch never leaves a half-loaded model.
  const plan: [path: string, name: string][] = [];
  for (const [path, current] of mx.treeFlatten(model.parameters()) as [string, mx.Array][]) {
    const fresh = !path.startsWith(`${member}.`) || path.startsWith(`${member}.pooler.`);
    const name = nameOf(path);
    if (name === undefined || tensors.get(name)!.shape.join() !== current.shape.join()) {
      if (fresh) continue;
      fallback();
    }
    plan.push([path, name!]);
  }
  quantize(model, { bits: q.bits, groupSize: q.groupSize, classPredicate: quantizable(q) });
  const modules = new Map(model.namedModules());
  for (const [path, name] of plan) {
    const cut = path.lastIndexOf('.');
    const owner = modules.get(path.slice(0, cut)) as unknown as Record<string, mx.Array>;
    const key = path.slice(cut + 1);
    const raw = tensors.get(name)!;
    const float = raw.dtype === 'float32' ? raw : mx.astype(raw, 'float32');
    if (owner instanceof QuantizedLinear && key === 'weight') {
      const [wq, scales, biases] = mx.quantize(float, q.groupSize, q.bits);
      mx.eval(wq, scales, biases);
      mx.dispose([owner.weight, owner.scales, owner.biases]);
      [owner.weight, owner.scales, owner.biases] = [wq, scales, biases];
      mx.dispose(float === raw ? [raw] : [raw, float]);
    } else {
      mx.eval(float);
      const old = owner[key];
      owner[key] = float;
      if (old !== float) old?.dispose();
      if (float !== raw) raw.dispose();
    }
    tensors.delete(name);
  }
  mx.dispose([...tensors.values()]);
  mx.eval(model.parameters());
  model.eval();
  return model;
}

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
  if (wrapped === 0) throw new MlxTrainError(`training.lora.targetModules ${JSON.stringify(lora.targetModules)} matched no Linear layer of the model`, 'CONFIG_ERROR');
  for (const [path, m] of model.namedModules()) if (isHead(path)) m.unfreeze();
}
