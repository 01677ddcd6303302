/**
 * nn.losses, following mlx.nn.losses (names and defaults in camelCase) with a few documented extras:
 * crossEntropy's `classWeights` and `ignoreIndex`, and focalLoss. Every loss takes
 * `reduction: 'none' | 'mean' | 'sum'`.
 */
import { MxArray } from '../core/array.js';
import { isInteger } from '../core/dtype.js';
import { checkIndices, takeAlongAxis, take } from '../core/indexing.js';
import {
  abs, add, astype, clip, divide, exp, log, log1p, logsumexp, max, maximum, mean, multiply, negative, notEqual, power, square, stopGradient,
  subtract, sum, where,
} from '../core/ops.js';
import { formatShape } from '../core/op-args.js';
import { expandDims, squeeze } from '../core/shape.js';
import { describeValue, ShapeError } from '../errors.js';
import { checkOptions } from './layers/checks.js';

export type Reduction = 'none' | 'mean' | 'sum';

function reductionOf(op: string, r: unknown): Reduction {
  if (r !== 'none' && r !== 'mean' && r !== 'sum') throw new TypeError(`${op}: invalid reduction ${describeValue(r)} (expected 'none', 'mean' or 'sum')`);
  return r;
}

function reduce(loss: MxArray, reduction: Reduction): MxArray {
  if (reduction === 'mean') return mean(loss);
  if (reduction === 'sum') return sum(loss);
  return loss;
}

function arrayArg(op: string, name: string, v: unknown): MxArray {
  if (!(v instanceof MxArray)) throw new TypeError(`${op}: expected an mx.array for ${name} but received ${describeValue(v)}`);
  return v;
}

function sameShape(op: string, a: MxArray, aName: string, b: MxArray, bName: string): void {
  if (formatShape(a.shape) !== formatShape(b.shape)) {
    throw new ShapeError(`${op}: ${aName} shape ${formatShape(a.shape)} does not match ${bName} shape ${formatShape(b.shape)}`);
  }
}

export interface CrossEntropyOptions {
  /** Per-element weights with the loss's shape (mlx.nn's `weights`). */
  weights?: MxArray | null;
  /** Per-class weights [C] (class-index targets): each element is scaled by the weight of its target
   * class, and 'mean' becomes Σ w·loss / Σ w (PyTorch's weighted mean). */
  classWeights?: MxArray | null;
  /** The class axis of the logits (-1). */
  axis?: number;
  /** In [0, 1): mixes the target with the uniform distribution (mlx.nn's formula). */
  labelSmoothing?: number;
  /** Targets equal to this class index contribute 0, and 'mean' averages over the other elements only
   * (0 when every element is ignored). Class-index targets only. */
  ignoreIndex?: number | null;
  reduction?: Reduction;
}

/**
 * Cross entropy of logits against class indices (targets without the class axis) or probabilities
 * (targets shaped like the logits). Per element: logsumexp(z) − (1−s)·z_t − s·mean(z), s = labelSmoothing.
 */
export function crossEntropy(logits: MxArray, targets: MxArray, options: CrossEntropyOptions = {}): MxArray {
  const op = 'nn.losses.crossEntropy';
  checkOptions(op, options, ['weights', 'classWeights', 'axis', 'labelSmoothing', 'ignoreIndex', 'reduction']);
  arrayArg(op, 'logits', logits);
  arrayArg(op, 'targets', targets);
  const reduction = reductionOf(op, options.reduction ?? 'none');
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1) but received ${describeValue(smoothing)}`);
  const rawAxis = options.axis ?? -1;
  const axis = rawAxis < 0 ? rawAxis + logits.ndim : rawAxis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= logits.ndim) throw new RangeError(`${op}: axis ${rawAxis} is out of range for logits of shape ${formatShape(logits.shape)}`);
  const asProbs = targets.ndim === logits.ndim;
  const expected = asProbs ? logits.shape : logits.shape.filter((_, i) => i !== axis);
  if (formatShape(targets.shape) !== formatShape(expected)) {
    throw new ShapeError(`${op}: targets shape ${formatShape(targets.shape)} does not match logits shape ${formatShape(logits.shape)} (expected ${formatShape(expected)} for ${asProbs ? 'probabilities' : 'class indices'})`);
  }
  if (!asProbs && !isInteger(targets.dtype)) throw new TypeError(`${op}: class-index targets must be integers but received ${targets.dtype}`);
  const ignore = options.ignoreIndex ?? null;
  const classWeights = options.classWeights ?? null;
  if (asProbs && (ignore !== null || classWeights !== null)) throw new TypeError(`${op}: ignoreIndex and classWeights need class-index targets, not probabilities`);
  if (classWeights !== null) {
    arrayArg(op, 'classWeights', classWeights);
    if (classWeights.ndim !== 1 || classWeights.shape[0] !== logits.shape[axis]) {
      throw new ShapeError(`${op}: classWeights must have shape [${logits.shape[axis]}] (one per class) but received ${formatShape(classWeights.shape)}`);
    }
  }

  // Class indices past the class axis would gather out of bounds (also inside a compiled step).
  if (!asProbs && ignore === null) checkIndices(op, targets, logits.shape[axis], `the class axis of logits shape ${formatShape(logits.shape)}`);
  const valid = ignore === null ? null : notEqual(targets, ignore);
  // Ignored positions may hold any value (e.g. -100): gather class 0 there and zero it out afterwards.
  const safeTargets = valid === null ? targets : where(valid, targets, 0);
  const shifted = subtract(logits, stopGradient(max(logits, axis, true)));
  const score = asProbs ? sum(multiply(shifted, targets), axis) : squeeze(takeAlongAxis(shifted, expandDims(safeTargets, axis), axis), axis);
  const lse = logsumexp(shifted, axis);
  let loss = smoothing > 0
    ? add(subtract(lse, multiply(score, 1 - smoothing)), multiply(negative(mean(shifted, axis)), smoothing))
    : subtract(lse, score);

  if (options.weights !== undefined && options.weights !== null) {
    const w = arrayArg(op, 'weights', options.weights);
    sameShape(op, w, 'weights', loss, 'loss');
    loss = multiply(loss, w);
  }
  let denominator: MxArray | null = null;
  if (classWeights !== null) {
    let w = take(classWeights, safeTargets, 0);
    if (valid !== null) w = multiply(w, valid);
    loss = multiply(loss, w);
    denominator = sum(w);
  }
  if (valid !== null) {
    loss = where(valid, loss, 0);
    denominator ??= maximum(sum(astype(valid, loss.dtype)), 1);
  }
  if (reduction === 'mean' && denominator !== null) return divide(sum(loss), denominator);
  return reduce(loss, reduction);
}

export interface BinaryCrossEntropyOptions {
  weights?: MxArray | null;
  /** Inputs are logits (default) or probabilities (log-probabilities are clipped at -100). */
  withLogits?: boolean;
  reduction?: Reduction;
}

/** log(1 + eˣ) computed without overflow: max(x, 0) + log1p(e^(−|x|)) (= logaddexp(0, x)). */
function softplus(x: MxArray): MxArray {
  return add(maximum(x, 0), log1p(exp(negative(abs(x)))));
}

/** Binary cross entropy (mlx.nn's binary_cross_entropy; reduction 'mean' by default). */
export function binaryCrossEntropy(inputs: MxArray, targets: MxArray, options: BinaryCrossEntropyOptions = {}): MxArray {
  const op = 'nn.losses.binaryCrossEntropy';
  checkOptions(op, options, ['weights', 'withLogits', 'reduction']);
  arrayArg(op, 'inputs', inputs);
  arrayArg(op, 'targets', targets);
  const reduction = reductionOf(op, options.reduction ?? 'mean');
  sameShape(op, inputs, 'inputs', targets, 'targets');
  let loss: MxArray;
  if (options.withLogits ?? true) loss = subtract(softplus(inputs), multiply(inputs, targets));
  else {
    const logP = clip(log(inputs), -100, null);
    const log1mP = clip(log(subtract(1, inputs)), -100, null);
    loss = negative(add(multiply(targets, logP), multiply(subtract(1, targets), log1mP)));
  }
  if (options.weights !== undefined && options.weights !== null) {
    const w = arrayArg(op, 'weights', options.weights);
    sameShape(op, w, 'weights', loss, 'loss');
    loss = multiply(loss, w);
  }
  return reduce(loss, reduction);
}

function pointwise(op: string, predictions: MxArray, targets: MxArray, reduction: unknown, f: (d: MxArray) => MxArray): MxArray {
  arrayArg(op, 'predictions', predictions);
  arrayArg(op, 'targets', targets);
  const r = reductionOf(op, reduction);
  sameShape(op, predictions, 'predictions', targets, 'targets');
  return reduce(f(subtract(predictions, targets)), r);
}

/** Mean squared error (reduction 'mean' by default). */
export function mseLoss(predictions: MxArray, targets: MxArray, reduction: Reduction = 'mean'): MxArray {
  return pointwise('nn.losses.mseLoss', predictions, targets, reduction, square);
}

/** Mean absolute error (reduction 'mean' by default). */
export function l1Loss(predictions: MxArray, targets: MxArray, reduction: Reduction = 'mean'): MxArray {
  return pointwise('nn.losses.l1Loss', predictions, targets, reduction, abs);
}

export interface FocalLossOptions {
  /** Focusing parameter γ ≥ 0 (2); γ = 0 and α = 1 give cross entropy. */
  gamma?: number;
  /** Class balance α: one number for every class (1), or per-class weights [C]. */
  alpha?: number | MxArray;
  ignoreIndex?: number | null;
  reduction?: Reduction;
}

/**
 * Focal loss (Lin et al., 2017) for class-index targets over the last axis of the logits:
 * FL = −α_t · (1 − p_t)^γ · log p_t, with p_t = softmax(logits)[target] and α_t = α or α[target].
 * 'mean' averages over the elements not ignored.
 */
export function focalLoss(logits: MxArray, targets: MxArray, options: FocalLossOptions = {}): MxArray {
  const op = 'nn.losses.focalLoss';
  checkOptions(op, options, ['gamma', 'alpha', 'ignoreIndex', 'reduction']);
  arrayArg(op, 'logits', logits);
  arrayArg(op, 'targets', targets);
  const reduction = reductionOf(op, options.reduction ?? 'none');
  const gamma = options.gamma ?? 2;
  if (typeof gamma !== 'number' || !(gamma >= 0)) throw new RangeError(`${op}: gamma must be >= 0 but received ${describeValue(gamma)}`);
  const expected = logits.shape.slice(0, -1);
  if (formatShape(targets.shape) !== formatShape(expected)) {
    throw new ShapeError(`${op}: targets shape ${formatShape(targets.shape)} does not match logits shape ${formatShape(logits.shape)} (expected ${formatShape(expected)})`);
  }
  if (!isInteger(targets.dtype)) throw new TypeError(`${op}: targets must be integer class indices but received ${targets.dtype}`);
  const ignore = options.ignoreIndex ?? null;
  if (ignore === null) checkIndices(op, targets, logits.shape[logits.ndim - 1], `the class axis of logits shape ${formatShape(logits.shape)}`);
  const valid = ignore === null ? null : notEqual(targets, ignore);
  const safeTargets = valid === null ? targets : where(valid, targets, 0);
  const logProbs = subtract(logits, logsumexp(logits, -1, true));
  const logPt = squeeze(takeAlongAxis(logProbs, expandDims(safeTargets, -1), -1), -1);
  const pt = exp(logPt);
  let loss = negative(multiply(power(subtract(1, pt), gamma), logPt));
  const alpha = options.alpha ?? 1;
  if (alpha instanceof MxArray) {
    if (alpha.ndim !== 1 || alpha.shape[0] !== logits.shape[logits.ndim - 1]) {
      throw new ShapeError(`${op}: alpha must have shape [${logits.shape[logits.ndim - 1]}] (one per class) but received ${formatShape(alpha.shape)}`);
    }
    loss = multiply(loss, take(alpha, safeTargets, 0));
  } else if (alpha !== 1) loss = multiply(loss, alpha);
  if (valid === null) return reduce(loss, reduction);
  loss = where(valid, loss, 0);
  if (reduction === 'mean') return divide(sum(loss), maximum(sum(astype(valid, loss.dtype)), 1));
  return reduce(loss, reduction);
}

