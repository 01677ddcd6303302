/**
 * Hugging Face checkpoint folders: `config.json` + `model.safetensors` (or sharded with
 * `model.safetensors.index.json`) + `tokenizer.json` / `vocab.txt`. Loading maps HF names onto our
 * module paths and checks every shape before touching the model; saving writes the same layout with HF
 * names so `transformers` loads the folder.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MxArray } from '../core/array.js';
import { isFloating } from '../core/dtype.js';
import * as mx from '../core/index.js';
import { formatShape } from '../core/op-args.js';
import { describeValue } from '../errors.js';
import { type Module, QuantizedLinear, quantize, type QuantizeModelOptions } from '../nn/index.js';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.js';
import { BertForSequenceClassification, BertModel } from './bert.js';
import { configFromHf, configToHf, type ModelConfig, stringifyHfConfig, withDropout } from './config.js';
import { CheckpointError } from './errors.js';
import { ModernBertForSequenceClassification, ModernBertModel } from './modernbert.js';
import { readSafetensorsHeader } from './safetensors-header.js';
import { ENCODER_MEMBER, fromHfName, type Task, toHfName } from './weight-map.js';

export type EncoderModel = BertModel | ModernBertModel;
export type ClassifierModel = BertForSequenceClassification | ModernBertForSequenceClassification;
export type PretrainedModel = EncoderModel | ClassifierModel;

/** Where each model came from, so savePretrained can copy its tokenizer files without being told. */
const sourceDirs = new WeakMap<Module, string>();

const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json'];

/** A one-line conversion for folders that only have PyTorch pickles. */
const CONVERT_HINT = (dir: string) =>
  `convert it to safetensors first, e.g.: python -c "import torch; from safetensors.torch import save_file; ` +
  `save_file({k: v.clone().contiguous() for k, v in torch.load('${join(dir, 'pytorch_model.bin')}', map_location='cpu').items()}, ` +
  `'${join(dir, 'model.safetensors')}', metadata={'format': 'pt'})"`;

export interface LoadPretrainedOptions {
  /** 'base' (the encoder) or 'sequence-classification'; default: from config.json's architectures. */
  task?: Task;
  /** Override the number of labels (a new classifier head is initialised when the checkpoint's differs). */
  numLabels?: number;
  /** Overrides applied to the config read from config.json (e.g. classifierPooling). */
  config?: Partial<ModelConfig>;
  /** One dropout probability for the encoder instead of config.json's (see withDropout: which ones per architecture). */
  dropout?: number;
  /** Cast the weights to this dtype (default float32). */
  dtype?: mx.Dtype;
  /** Load the tokenizer from the folder too (default true; null when the folder has none). */
  tokenizer?: boolean;
  /**
   * Quantize the Linear layers (nn.quantize's options) while loading: each float weight is read,
   * quantized, evaluated and freed before the next, so loading never holds the float model.
   */
  quantize?: QuantizeModelOptions;
}

export interface LoadReport {
  /** Our parameters that the checkpoint did not hold and that keep their fresh initialisation (a new head). */
  newlyInitialized: string[];
  /** Checkpoint tensors the model does not use (e.g. an MLM head), by HF name. */
  unused: string[];
}

export interface Pretrained<M extends PretrainedModel = PretrainedModel> {
  model: M;
  config: ModelConfig;
  tokenizer: Tokenizer | null;
  report: LoadReport;
}

function checkOptionKeys(op: string, options: object, allowed: string[]): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: expected an options object but received ${describeValue(options)}`);
  for (const k of Object.keys(options)) if (!allowed.includes(k)) throw new TypeError(`${op}: unknown option '${k}' (expected one of ${allowed.join(', ')})`);
}

function readJson(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`invalid JSON: ${(e as Error).message}`, { file });
  }
}

/** The safetensors files of a folder, by HF tensor name; errors say what the folder holds instead. */
function weightFiles(dir: string): Map<string, string> {
  const single = join(dir, 'model.safetensors');
  const index = join(dir, 'model.safetensors.index.json');
  const byName = new Map<string, string>();
  if (existsSync(index)) {
    const json = readJson(index) as { weight_map?: unknown };
    const map = json?.weight_map;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) {
      throw new CheckpointError(`expected a 'weight_map' object (tensor name → shard file) but found ${describeValue(map)}`, { file: index, key: 'weight_map' });
    }
    for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
      if (typeof shard !== 'string') throw new CheckpointError(`weight_map['${name}'] must be a file name but is ${describeValue(shard)}`, { file: index, key: name });
      const path = join(dir, shard);
      if (!existsSync(path)) throw new CheckpointError(`the shard '${shard}' listed for '${name}' does not exist`, { file: index, key: name });
      byName.set(name, path);
    }
    return byName;
  }
  if (existsSync(single)) {
    for (const name of readSafetensorsHeader(single).keys()) byName.set(name, single);
    return byName;
  }
  if (existsSync(join(dir, 'pytorch_model.bin')) || existsSync(join(dir, 'pytorch_model.bin.index.json'))) {
    throw new CheckpointError(`the folder holds PyTorch weights (pytorch_model.bin) only, which mlx-train cannot read; ${CONVERT_HINT(dir)}`, { file: dir });
  }
  throw new CheckpointError('the folder holds no weights: expected model.safetensors or model.safetensors.index.json', { file: dir });
}

function taskFromConfig(json: Record<string, unknown>): Task {
  const archs = Array.isArray(json.architectures) ? (json.architectures as unknown[]) : [];
  return archs.some((a) => typeof a === 'string' && a.endsWith('ForSequenceClassification')) ? 'sequence-classification' : 'base';
}

/** A fresh model of a config and task (the architecture class a config.json names). */
export function createModel(config: ModelConfig, task: Task = 'base'): PretrainedModel {
  if (config.modelType === 'bert') return task === 'base' ? new BertModel(config) : new BertForSequenceClassification(config);
  return task === 'base' ? new ModernBertModel(config) : new ModernBertForSequenceClassification(config);
}

/** The HF architecture name of a model (config.json's architectures). */
export function architectureOf(model: PretrainedModel): string {
  return model.constructor.name;
}

function taskOf(model: PretrainedModel): Task {
  return model instanceof BertModel || model instanceof ModernBertModel ? 'base' : 'sequence-classification';
}

/**
 * Loads a model (and its tokenizer) from a Hugging Face checkpoint folder. Every missing encoder weight
 * and every shape mismatch is reported in one error; a classifier head absent from the checkpoint is
 * freshly initialised and listed in `report.newlyInitialized`.
 */
export function loadPretrained(dir: string, options: LoadPretrainedOptions = {}): Pretrained {
  checkOptionKeys('loadPretrained', options, ['task', 'numLabels', 'config', 'dropout', 'dtype', 'tokenizer', 'quantize']);
  if (options.dropout !== undefined && !(typeof options.dropout === 'number' && options.dropout >= 0 && options.dropout < 1)) {
    throw new RangeError(`loadPretrained: dropout must be a probability in [0, 1) but received ${describeValue(options.dropout)}`);
  }
  if (typeof dir !== 'string' || !existsSync(dir)) throw new CheckpointError('no such checkpoint folder', { file: String(dir) });
  if (!statSync(dir).isDirectory()) throw new CheckpointError('expected a checkpoint folder (with config.json and model.safetensors) but this is a file', { file: dir });
  const configFile = join(dir, 'config.json');
  if (!existsSync(configFile)) throw new CheckpointError('missing config.json (the model config) in the checkpoint folder', { file: dir });
  const json = readJson(configFile) as Record<string, unknown>;
  let config = configFromHf(json, configFile);
  // Asking for labels means asking for a classifier, even from a bare encoder checkpoint.
  const task = options.task ?? (options.numLabels !== undefined ? 'sequence-classification' : taskFromConfig(json));
  if (task !== 'base' && task !== 'sequence-classification') throw new TypeError(`loadPretrained: unknown task ${describeValue(task)} (expected 'base' or 'sequence-classification')`);
  if (options.config || options.numLabels !== undefined) {
    config = { ...config, ...(options.config ?? {}), ...(options.numLabels !== undefined ? { numLabels: options.numLabels } : {}) } as ModelConfig;
    if (options.numLabels !== undefined && config.id2label && Object.keys(config.id2label).length !== options.numLabels) delete config.id2label;
  }
  if (options.dropout !== undefined) config = withDropout(config, options.dropout);

  const files = weightFiles(dir);
  const loaded = new Map<string, Record<string, MxArray>>();
  const tensor = (name: string): MxArray => {
    const file = files.get(name)!;
    let arrays = loaded.get(file);
    if (!arrays) {
      // model.safetensors was checked while listing it; shards are checked on first use.
      if (file !== join(dir, 'model.safetensors')) readSafetensorsHeader(file);
      arrays = mx.loadSafetensors(file).arrays;
      loaded.set(file, arrays);
    }
    const a = arrays[name];
    if (!a) throw new CheckpointError(`the index lists tensor '${name}' but the file does not hold it`, { file, key: name });
    return a;
  };

  const model = createModel(config, task);
  const modelType = config.modelType;
  // A base checkpoint saved from a task model (BertForMaskedLM, …) prefixes the encoder: 'bert.' / 'model.'.
  const member = ENCODER_MEMBER[modelType];
  const embeddingsName = modelType === 'bert' ? 'embeddings.word_embeddings.weight' : 'embeddings.tok_embeddings.weight';
  const hasPrefix = files.has(`${member}.${embeddingsName}`);
  const lookup = (hfName: string): string => {
    let name = hfName;
    if (task === 'base') name = hasPrefix ? `${member}.${hfName}` : hfName;
    // A task model reads a bare encoder checkpoint too (fine-tuning from BertModel weights).
    else if (!hasPrefix && hfName.startsWith(`${member}.`)) name = hfName.slice(member.length + 1);
    // The original TensorFlow-converted BERT checkpoints call LayerNorm's weight and bias gamma and beta.
    if (!files.has(name) && name.includes('LayerNorm.')) {
      const legacy = name.replace(/\.weight$/, '.gamma').replace(/\.bias$/, '.beta');
      if (files.has(legacy)) return legacy;
    }
    return name;
  };

  const params = mx.treeFlatten(model.parameters()).filter(([, v]) => v instanceof mx.Array) as [string, MxArray][];
  const missing: string[] = [];
  const wrong: string[] = [];
  const newlyInitialized: string[] = [];
  const used = new Set<string>();
  const weights: [string, MxArray][] = [];
  const encoderPrefix = task === 'base' ? '' : `${member}.`;
  for (const [path, current] of params) {
    const hfName = lookup(toHfName(path, modelType, task)!);
    if (!files.has(hfName)) {
      const isHead = task !== 'base' && !path.startsWith(encoderPrefix);
      // The pooler is optional in HF checkpoints (add_pooling_layer=False) and fresh in HF too.
      const isPooler = path.startsWith(`${encoderPrefix}pooler.`);
      if (isHead || isPooler) newlyInitialized.push(path);
      else missing.push(`  ${hfName} (${path}) ${formatShape(current.shape)}`);
      continue;
    }
    used.add(hfName);
    const a = tensor(hfName);
    if (formatShape(a.shape) !== formatShape(current.shape)) {
      const isHead = task !== 'base' && !path.startsWith(encoderPrefix);
      if (isHead && options.numLabels !== undefined) {
        newlyInitialized.push(path);
        continue;
      }
      wrong.push(`  ${hfName}: expected shape ${formatShape(current.shape)} but found ${formatShape(a.shape)}`);
      continue;
    }
    weights.push([path, a]);
  }
  if (missing.length || wrong.length) {
    const parts = [`the weights do not fit the ${architectureOf(model)} described by config.json`];
    if (missing.length) parts.push(`missing ${missing.length} tensor(s):\n${missing.join('\n')}`);
    if (wrong.length) parts.push(`mis-shaped ${wrong.length} tensor(s):\n${wrong.join('\n')}`);
    throw new CheckpointError(parts.join('\n'), { file: files.size ? [...new Set(files.values())].join(', ') : dir });
  }
  const asFloat = (a: MxArray) => (a.dtype === 'float32' ? a : mx.astype(a, 'float32'));
  if (options.quantize) loadQuantizing(model, weights, asFloat, options.quantize);
  else model.loadWeights(weights.map(([path, a]) => [path, asFloat(a)]), { strict: false });
  const dtype = options.dtype ?? 'float32';
  // Floating weights only: a quantized layer's packed weights stay integers.
  if (dtype !== 'float32') model.apply((a) => (a.dtype === dtype || !isFloating(a.dtype) ? a : mx.astype(a, dtype)));
  mx.eval(model.parameters());
  model.eval();
  const unused = [...files.keys()].filter((k) => !used.has(k) && !k.endsWith('position_ids')).sort();
  const tokenizer = options.tokenizer === false || !TOKENIZER_FILES.slice(0, 2).some((f) => existsSync(join(dir, f))) ? null : loadTokenizer(dir);
  tokenizer?.checkFitsVocabulary(model.config.vocabSize, `the model in ${dir}`);
  sourceDirs.set(model, dir);
  return { model, config: model.config, tokenizer, report: { newlyInitialized, unused } };
}

/**
 * Quantizes `model`'s Linear layers, then puts the checked checkpoint tensors in one at a time: a
 * QuantizedLinear weight is quantized from its float tensor, which is freed at once; every other tensor
 * is evaluated and set. The peak is the quantized model plus one float tensor.
 */
function loadQuantizing(model: Module, weights: [string, MxArray][], asFloat: (a: MxArray) => MxArray, options: QuantizeModelOptions): void {
  quantize(model, options);
  const modules = new Map(model.namedModules());
  for (const [path, raw] of weights) {
    const cut = path.lastIndexOf('.');
    const owner = modules.get(path.slice(0, cut)) as unknown as Record<string, MxArray>;
    const key = path.slice(cut + 1);
    const float = asFloat(raw);
    if (owner instanceof QuantizedLinear && key === 'weight') {
      const [wq, scales, biases] = mx.quantize(float, owner.groupSize, owner.bits);
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
  }
}

export interface SavePretrainedOptions {
  /** Copy tokenizer.json / vocab.txt / tokenizer_config.json … from this folder (default: the folder the model was loaded from). */
  tokenizerDir?: string;
}

/**
 * Writes `config.json` and `model.safetensors` (HF names, float weights as they are) into `dir`, and
 * copies the tokenizer files, so the folder loads with `transformers`' from_pretrained and with loadPretrained.
 * One difference remains: transformers' BertForSequenceClassification always classifies the pooler
 * output, so a BERT classifier trained here with mean pooling is written with `classifier_pooling:
 * 'mean'`, which loadPretrained honours and transformers ignores.
 */
export function savePretrained(model: PretrainedModel, dir: string, options: SavePretrainedOptions = {}): void {
  checkOptionKeys('savePretrained', options, ['tokenizerDir']);
  if (!(model instanceof BertModel || model instanceof ModernBertModel || model instanceof BertForSequenceClassification || model instanceof ModernBertForSequenceClassification)) {
    throw new TypeError(`savePretrained: expected a BERT or ModernBERT model but received ${describeValue(model)}`);
  }
  const task = taskOf(model);
  const config = model.config;
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, MxArray> = {};
  for (const [path, a] of mx.treeFlatten(model.parameters())) {
    if (!(a instanceof mx.Array)) continue;
    const name = toHfName(path, config.modelType, task);
    if (!name) throw new CheckpointError(`no Hugging Face name for parameter '${path}'`, { file: dir, key: path });
    tensors[name] = a;
  }
  // Write beside the target and rename, so a crash never leaves a half-written model.safetensors.
  const weightsFile = join(dir, 'model.safetensors');
  const tmp = join(dir, `.model.safetensors.${process.pid}.tmp.safetensors`);
  mx.saveSafetensors(tmp, tensors, { format: 'pt' });
  renameSync(tmp, weightsFile);
  const dtype = Object.values(tensors)[0]?.dtype ?? 'float32';
  writeFileSync(join(dir, 'config.json'), stringifyHfConfig({ ...configToHf(config, architectureOf(model)), dtype }));
  const from = options.tokenizerDir ?? sourceDirs.get(model);
  if (from) {
    if (!existsSync(from)) throw new CheckpointError('the tokenizer folder does not exist', { file: from });
    for (const f of TOKENIZER_FILES) if (existsSync(join(from, f)) && join(from, f) !== join(dir, f)) copyFileSync(join(from, f), join(dir, f));
  }
  sourceDirs.set(model, dir);
}
