/**
 * nn.fuseLoRA: merges every LoRALinear of a module tree into a plain Linear, in place (mlx-lm's `fuse`),
 * so a fine-tuned model can be saved, shared and trained further without adapter layers.
 *
 * Trainable flags: a layer this creates is trainable (weight and bias) when the layer it replaces had any
 * trainable parameter, and frozen otherwise. A LoRA layer trains its adapters, so its fused Linear stays
 * trainable: what was being trained is still trained, now at full rank. Every other module keeps its
 * flags (a LoRA setup freezes the base, so call `model.unfreeze()` to train the whole model).
 */
import { evaluate } from '../core/eval.js';
import { treeUnflatten } from '../core/tree.js';
import { describeValue } from '../errors.js';
import { Module } from './module.js';
import { checkOptions } from './layers/checks.js';
import { Linear } from './layers/linear.js';
import { LoRALinear } from './layers/lora.js';
import { QuantizedLinear } from './layers/quantized.js';

export interface FuseLoRAOptions {
  /** Also replace every other QuantizedLinear by a float Linear (mlx-lm's --de-quantize), leaving no
   * low-bit layer in the model (default false: only the LoRA layers change; a 4-bit base under an
   * adapter is always dequantized, since the merged weight is float). */
  dequantize?: boolean;
}

/** Replaces the LoRA layers (and, with `dequantize`, the quantized ones) in place; returns how many LoRA layers were fused. */
export function fuseLoRA(model: Module, options: FuseLoRAOptions = {}): number {
  if (!(model instanceof Module)) throw new TypeError(`nn.fuseLoRA: expected an nn.Module but received ${describeValue(model)}`);
  checkOptions('nn.fuseLoRA', options, ['dequantize']);
  if (model instanceof LoRALinear || (options.dequantize && model instanceof QuantizedLinear)) {
    throw new TypeError(`nn.fuseLoRA: the model itself is a ${model.constructor.name}, which cannot be replaced in place; call its fuse() (or a parent's fuseLoRA) instead`);
  }
  const fused = replaceLayers(model, (m) => (m instanceof LoRALinear ? keepTrainability(m, m.fuse()) : null));
  if (options.dequantize) replaceLayers(model, (m) => (m instanceof QuantizedLinear ? keepTrainability(m, dequantizedLinear(m)) : null));
  evaluate(model.parameters());
  return fused;
}

function dequantizedLinear(q: QuantizedLinear): Linear {
  const linear = new Linear(q.inputDims, q.outputDims, { bias: q.bias !== undefined });
  linear.weight = q.dequantizedWeight();
  if (q.bias) linear.bias = q.bias;
  return linear;
}

function keepTrainability(old: Module, replacement: Linear): Linear {
  if (old.numTrainableParameters() === 0) replacement.freeze();
  return replacement;
}

/**
 * Puts `swap(m)` in the place of every module for which it returns one (mlx-lm's way: collect the
 * replacements by dotted path, then one updateModules); returns how many were replaced.
 */
function replaceLayers(root: Module, swap: (m: Module) => Module | null): number {
  const replacements = root.namedModules().flatMap(([path, m]): [string, Module][] => {
    const replacement = path ? swap(m) : null;
    return replacement ? [[path, replacement]] : [];
  });
  if (replacements.length > 0) root.updateModules(treeUnflatten(replacements) as Record<string, unknown>);
  return replacements.length;
}
