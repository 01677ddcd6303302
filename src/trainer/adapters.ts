/**
 * LoRA adapters on their own: a folder with `adapters.safetensors` (the trainable weights of a LoRA run:
 * every loraA/loraB and the classifier head, under their model paths) and `adapter_config.json` (the
 * LoRA and quantization settings and the base checkpoint they were trained on). Loading checks the
 * folder against the model the config built — same rank, targets and trainable weights — so adapters
 * never land silently on another base.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mx from '../core/index.js';
import type { TrainingConfig } from '../config/schema.js';
import { CheckpointError } from '../errors.js';
import type { Module } from '../nn/index.js';
import { trainableWeightProblems, trainableWeights, writeAtomically } from './run-checkpoint.js';

export const ADAPTER_WEIGHTS_FILE = 'adapters.safetensors';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTERS_FORMAT = 'mlx-train-adapters-1';

export interface AdapterConfig {
  format: typeof ADAPTERS_FORMAT;
  /** The pretrained folder of the base (model.pretrained), null for a model trained from scratch. */
  baseModel: string | null;
  pooling: TrainingConfig['model']['pooling'];
  lora: TrainingConfig['training']['lora'];
  quantization: TrainingConfig['training']['quantization'];
  /** Names in adapters.safetensors: the LoRA matrices, then the other trainable weights (the head). */
  adapters: string[];
  head: string[];
}

/** An adapter folder that cannot be saved or used (a CheckpointError with code ADAPTER_ERROR). */
const adapterError = (message: string, file?: string): CheckpointError => new CheckpointError(message, file ?? {}, 'ADAPTER_ERROR');

const isLoraWeight = (k: string) => /(^|\.)lora[AB]$/.test(k);

function requireLora(config: TrainingConfig, op: string): void {
  if (!config.training.lora.enabled) throw adapterError(`${op} needs training.lora.enabled: a run without LoRA has no adapters (save or load a checkpoint instead)`);
}

/** Writes the model's adapters (and trainable head) to `dir`; returns the two file paths. */
export function saveAdapters(dir: string, model: Module, config: TrainingConfig): { weights: string; config: string } {
  requireLora(config, 'saveAdapters');
  const weights = trainableWeights(model);
  const adapters = weights.map(([k]) => k).filter(isLoraWeight);
  if (adapters.length === 0) throw adapterError('saveAdapters: the model has no trainable LoRA weights (loraA/loraB)');
  const meta: AdapterConfig = {
    format: ADAPTERS_FORMAT,
    baseModel: config.model.pretrained,
    pooling: config.model.pooling,
    lora: config.training.lora,
    quantization: config.training.quantization,
    adapters,
    head: weights.map(([k]) => k).filter((k) => !isLoraWeight(k)),
  };
  const json = `${JSON.stringify(meta, null, 2)}\n`;
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  writeAtomically(weightsPath, (tmp) => mx.saveSafetensors(tmp, Object.fromEntries(weights), { format: ADAPTERS_FORMAT, adapter_config: json }));
  writeAtomically(configPath, (tmp) => writeFileSync(tmp, json));
  return { weights: weightsPath, config: configPath };
}

function readAdapterConfig(path: string): AdapterConfig {
  if (!existsSync(path)) throw adapterError(`no ${ADAPTER_CONFIG_FILE} in the adapter folder`, path);
  let meta: AdapterConfig;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as AdapterConfig;
  } catch (err) {
    throw adapterError(`invalid JSON: ${(err as Error).message}`, path);
  }
  if (meta?.format !== ADAPTERS_FORMAT) throw adapterError(`not mlx-train adapters (format '${String(meta?.format)}', expected '${ADAPTERS_FORMAT}')`, path);
  return meta;
}

/**
 * Loads adapters saved by saveAdapters into `model` (built from `config` with LoRA on). The LoRA rank,
 * alpha, targets and quantization must equal the config's, and the file must hold exactly the
 * model's trainable weights with their shapes. Returns the names loaded.
 */
export function loadAdapters(dir: string, model: Module, config: TrainingConfig): string[] {
  requireLora(config, 'loadAdapters');
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  const meta = readAdapterConfig(configPath);
  const { lora, quantization } = config.training;
  const checks: [string, unknown, unknown][] = [
    ['lora.rank', meta.lora?.rank, lora.rank],
    ['lora.alpha', meta.lora?.alpha, lora.alpha],
    ['lora.targetModules', JSON.stringify(meta.lora?.targetModules), JSON.stringify(lora.targetModules)],
    ['quantization.enabled', meta.quantization?.enabled, quantization.enabled],
    ...(quantization.enabled ? [['quantization.bits', meta.quantization?.bits, quantization.bits], ['quantization.groupSize', meta.quantization?.groupSize, quantization.groupSize]] as [string, unknown, unknown][] : []),
  ];
  for (const [key, saved, wanted] of checks) {
    if (saved !== wanted) throw adapterError(`${key} is ${String(saved)} in the adapters but ${String(wanted)} in training.${key} of this config`, configPath);
  }
  if (!existsSync(weightsPath)) throw adapterError(`no ${ADAPTER_WEIGHTS_FILE} in the adapter folder`, weightsPath);
  const arrays = mx.loadSafetensors(weightsPath).arrays;
  const problems = trainableWeightProblems(model, new Map(Object.entries(arrays)));
  if (problems.length) {
    mx.dispose(Object.values(arrays));
    throw adapterError(`the adapters do not fit the model built from this config:\n${problems.join('\n')}`, weightsPath);
  }
  model.loadWeights(Object.entries(arrays), { strict: false });
  mx.eval(model.parameters());
  return Object.keys(arrays).sort();
}
