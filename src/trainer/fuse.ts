/**
 * Exporting a LoRA fine-tune as a standalone model: the config a fused trainer describes, and the
 * Hugging Face folder (config.json, model.safetensors, tokenizer files) written so that it appears
 * whole or not at all: everything goes into a hidden temp folder beside the target, each file is
 * fsynced, and the folder is renamed into place. Also the Trainer's fuseAdapters/saveFused on a prepared run.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { TrainingConfig } from '../config/schema.js';
import { CheckpointError, ConfigError } from '../errors.js';
import { BertForSequenceClassification, ModernBertForSequenceClassification, savePretrained, stringifyHfConfig, type ClassifierModel } from '../models/index.js';
import { fuseLoRA, type Module } from '../nn/index.js';
import type { Tokenizer } from '../tokenizers/index.js';
import { makeOptimizer } from './optimizer-setup.js';
import { buildStep, type PreparedRun, type SaveFusedOptions } from './run.js';
import { fsyncFolder, fsyncPath } from './run-checkpoint.js';

/** The config of a model whose adapters were fused: LoRA and quantization off (the fused base is float32). */
export function fusedConfig(c: TrainingConfig, pretrained: string | null = c.model.pretrained): TrainingConfig {
  return {
    ...c,
    model: { ...c.model, pretrained },
    training: { ...c.training, lora: { ...c.training.lora, enabled: false }, quantization: { ...c.training.quantization, enabled: false } },
  };
}

export function isExportable(model: Module): model is ClassifierModel {
  return model instanceof BertForSequenceClassification || model instanceof ModernBertForSequenceClassification;
}

/** Whether `dir` exists with something in it (a file counts: it cannot become the folder). */
export function isOccupied(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return !statSync(dir).isDirectory() || readdirSync(dir).length > 0;
}

export interface FusedFolderOptions {
  /** Copy the tokenizer files of this pretrained folder (the base checkpoint's own files). */
  tokenizerDir?: string;
  /** Otherwise write this tokenizer as tokenizer.json (a vocabulary trained from the data). */
  tokenizer?: Tokenizer;
  /** Class names by index, written as config.json's id2label / label2id. */
  labels: readonly string[];
  /** Replace a non-empty `dir` (default false: refuse). */
  overwrite?: boolean;
}

/** Writes the model as a Hugging Face folder at `dir` (see the module comment); returns its absolute path. */
export function writeFusedFolder(dir: string, model: ClassifierModel, options: FusedFolderOptions): string {
  const target = resolve(dir);
  const occupied = () => {
    if (!isOccupied(target)) return;
    if (!statSync(target).isDirectory()) throw new CheckpointError(`cannot write the fused model to ${target}: it is a file`, {}, 'OUTPUT_EXISTS');
    if (!options.overwrite) throw new CheckpointError(`the output folder ${target} exists and is not empty (pass overwrite: true, or --force on the command line, to replace it)`, {}, 'OUTPUT_EXISTS');
  };
  occupied();
  const parent = dirname(target);
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = join(parent, `.${basename(target)}.tmp-${stamp}`);
  try {
    savePretrained(model, tmp, options.tokenizerDir ? { tokenizerDir: options.tokenizerDir } : {});
    if (!options.tokenizerDir && options.tokenizer) options.tokenizer.save(join(tmp, 'tokenizer.json'));
    const configFile = join(tmp, 'config.json');
    const json = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    const id2label = Object.fromEntries(options.labels.map((l, i) => [String(i), l]));
    writeFileSync(configFile, stringifyHfConfig({ ...json, id2label, label2id: Object.fromEntries(options.labels.map((l, i) => [l, i])) }));
    for (const f of readdirSync(tmp)) fsyncPath(join(tmp, f));
    fsyncFolder(tmp);
    occupied();
    // An empty folder (or, with overwrite, the old export) steps aside only once the new one is complete.
    let old: string | null = null;
    if (existsSync(target)) {
      old = join(parent, `.${basename(target)}.old-${stamp}`);
      renameSync(target, old);
    }
    try {
      renameSync(tmp, target);
    } catch (err) {
      if (old) renameSync(old, target);
      throw err;
    }
    if (old) rmSync(old, { recursive: true, force: true });
    fsyncFolder(parent);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/** Refuses to fuse a config without adapters (`fusedLayers`: how many were fused already). */
export function checkFusable(c: TrainingConfig, fusedLayers: number, what: 'fuseAdapters' | 'saveFused'): void {
  if (what === 'saveFused') {
    if (!c.training.lora.enabled && fusedLayers === 0) {
      throw new ConfigError('saveFused needs training.lora.enabled: this config has no adapters to fuse (a plain model is saved with models.savePretrained)');
    }
  } else if (!c.training.lora.enabled) {
    const why = fusedLayers > 0 ? 'the adapters were fused already' : 'this config has no adapters';
    throw new ConfigError(`fuseAdapters needs training.lora.enabled: ${why}`);
  }
}

/**
 * Merges the run's LoRA adapters into the base weights in place (a quantized base is dequantized to
 * float32); the run then describes a plain float model: fused config, every weight trainable, and a
 * fresh optimizer and step (the parameter tree changed). Returns the number of layers fused.
 */
export function fuseRunAdapters(run: PreparedRun): number {
  const quantized = run.config.training.quantization.enabled;
  const fused = fuseLoRA(run.model, { dequantize: true });
  run.model.unfreeze();
  run.config = fusedConfig(run.config);
  run.optimizer = makeOptimizer(run.config, run.totalSteps);
  run.step = buildStep(run.config, run.model, run.optimizer, run.lossFn, run.scaler);
  run.fusedLayers = fused;
  run.log(`fused ${fused} LoRA layer(s) into the base weights${quantized ? ' (the 4-bit base dequantized to float32)' : ''}`);
  return fused;
}

/** Writes the run's (fused) model as a Hugging Face folder; the run's config then names it as model.pretrained. */
export function saveFusedRun(run: PreparedRun, dir: string, options: SaveFusedOptions): string {
  if (!isExportable(run.model)) {
    throw new ConfigError(`saveFused writes a Hugging Face folder, which needs a BERT or ModernBERT classifier, but this model is ${run.model.describe()} (from a createModel factory); save its weights with model.saveWeights instead`);
  }
  if (run.config.training.lora.enabled) fuseRunAdapters(run);
  const c = run.config;
  const fromBase = c.model.pretrained !== null && c.data.tokenizer === null;
  const path = writeFusedFolder(dir, run.model, {
    tokenizerDir: fromBase ? c.model.pretrained! : undefined,
    tokenizer: run.data.tokenizer,
    labels: run.data.labels.classes,
    overwrite: options.overwrite,
  });
  run.config = fusedConfig(c, path);
  run.log(`saved the fused model to ${path}`);
  return path;
}
