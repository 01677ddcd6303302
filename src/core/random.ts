/**
 * mx.random: counter-based PRNG (threefry) keys, as in mlx.core.random. Every sampler takes an optional
 * `key`; without one it draws from the global key sequence, which `seed` resets and `getState`/`setState`
 * read and restore without advancing (what compile() and checkpoints need).
 */
import { native, type Handle, type Operand, type StreamArg } from './binding.js';
import { MxArray } from './array.js';
import { type Dtype, dtypeCode } from './dtype.js';
import { wrap } from './handle.js';
import { arrayOf, intOf, numberOf, operandOf, optionKeysOf } from './op-args.js';
import { invalidArg } from '../errors.js';

export interface RandomOptions {
  /** A uint32[2] key from `key()`/`split()`; the global key sequence when omitted. */
  key?: MxArray | null;
  stream?: StreamArg;
}
export interface SampleOptions extends RandomOptions {
  dtype?: Dtype;
}

const BASE_KEYS = ['key', 'stream'];

/** Rejects misspelled option names, naming the nearest allowed list. */
const checkOptions = (op: string, opts: object, allowed: string[]) => optionKeysOf(opts, `random.${op}`, allowed);

function keyOf(op: string, k: MxArray | null | undefined): Handle | undefined {
  return k === undefined || k === null ? undefined : arrayOf(k, `random.${op}`, 'key');
}

function shapeOf(op: string, shape: number | number[]): number[] {
  if (typeof shape === 'number') return [intOf(shape, `random.${op}`, 'shape')];
  if (!Array.isArray(shape)) throw invalidArg('an integer or an array of integers', `random.${op} shape`, shape);
  return shape.map((d) => intOf(d, `random.${op}`, 'shape'));
}

function seedOf(op: string, s: number | bigint): number | bigint {
  if (typeof s === 'bigint' || (typeof s === 'number' && Number.isInteger(s))) return s;
  throw invalidArg('a non-negative integer or bigint', `random.${op} seed`, s);
}

/** Seeds the global key sequence. */
export function seed(s: number | bigint): void {
  native.randomSeed(seedOf('seed', s));
}

/** A PRNG key (uint32[2]) from a seed. */
export function key(s: number | bigint): MxArray {
  return wrap(native.randomKey(seedOf('key', s)));
}

/** The global key now, as a uint32[2] array; reading it does not advance the sequence. */
export function getState(): MxArray {
  return wrap(native.randomGetState());
}

/** Restores the global key (e.g. from a checkpoint or a getState() taken earlier). */
export function setState(k: MxArray): void {
  native.randomSetState(arrayOf(k, 'random.setState', 'key'));
}

/** Splits a key into `num` new keys: uint32[num, 2]. */
export function split(k: MxArray, num = 2, opts: { stream?: StreamArg } = {}): MxArray {
  checkOptions('split', opts, ['stream']);
  return wrap(native.randomSplit(arrayOf(k, 'random.split', 'key'), intOf(num, 'random.split', 'num'), opts.stream));
}

/** Random bits: uint32 (width 4), uint16 (2) or uint8 (1). */
export function bits(shape: number | number[] = [], width = 4, opts: RandomOptions = {}): MxArray {
  checkOptions('bits', opts, BASE_KEYS);
  return wrap(native.randomBits(shapeOf('bits', shape), intOf(width, 'random.bits', 'width'), keyOf('bits', opts.key), opts.stream));
}

/** Uniform samples in [low, high). */
export function uniform(low: MxArray | number = 0, high: MxArray | number = 1, shape: number | number[] = [], opts: SampleOptions = {}): MxArray {
  checkOptions('uniform', opts, [...BASE_KEYS, 'dtype']);
  return wrap(native.randomUniform(operandOf(low, 'random.uniform', 'low'), operandOf(high, 'random.uniform', 'high'),
    shapeOf('uniform', shape), dtypeCode(opts.dtype ?? 'float32'), keyOf('uniform', opts.key), opts.stream));
}

export interface NormalOptions extends SampleOptions {
  loc?: MxArray | number;
  scale?: MxArray | number;
}

/** Normal samples with mean `loc` (0) and standard deviation `scale` (1). */
export function normal(shape: number | number[] = [], opts: NormalOptions = {}): MxArray {
  checkOptions('normal', opts, [...BASE_KEYS, 'dtype', 'loc', 'scale']);
  const dtype = opts.dtype ?? 'float32';
  // Python MLX makes scalar loc/scale arrays of the sample dtype; do the same so results match bit for bit.
  const param = (v: MxArray | number | undefined, name: string): Operand | null => {
    if (v === undefined || v === null) return null;
    if (typeof v === 'number') return native.scalar(numberOf(v, 'random.normal', name), dtypeCode(dtype));
    return arrayOf(v, 'random.normal', name);
  };
  return wrap(native.randomNormal(shapeOf('normal', shape), dtypeCode(dtype), param(opts.loc, 'loc'), param(opts.scale, 'scale'),
    keyOf('normal', opts.key), opts.stream));
}

/** Normal samples truncated to [lower, upper]; the shape defaults to the broadcast of the bounds. */
export function truncatedNormal(lower: MxArray | number, upper: MxArray | number, shape?: number | number[] | null, opts: SampleOptions = {}): MxArray {
  checkOptions('truncatedNormal', opts, [...BASE_KEYS, 'dtype']);
  return wrap(native.randomTruncatedNormal(operandOf(lower, 'random.truncatedNormal', 'lower'), operandOf(upper, 'random.truncatedNormal', 'upper'),
    shape === undefined || shape === null ? null : shapeOf('truncatedNormal', shape), dtypeCode(opts.dtype ?? 'float32'),
    keyOf('truncatedNormal', opts.key), opts.stream));
}

/** Booleans that are true with probability p; the shape defaults to p's. */
export function bernoulli(p: MxArray | number = 0.5, shape?: number | number[] | null, opts: RandomOptions = {}): MxArray {
  checkOptions('bernoulli', opts, BASE_KEYS);
  const pOp: Operand = typeof p === 'number' ? native.scalar(numberOf(p, 'random.bernoulli', 'p'), dtypeCode('float32')) : arrayOf(p, 'random.bernoulli', 'p');
  return wrap(native.randomBernoulli(pOp, shape === undefined || shape === null ? null : shapeOf('bernoulli', shape), keyOf('bernoulli', opts.key), opts.stream));
}

/** Integers uniform in [low, high). */
export function randint(low: MxArray | number, high: MxArray | number, shape: number | number[] = [], opts: SampleOptions = {}): MxArray {
  checkOptions('randint', opts, [...BASE_KEYS, 'dtype']);
  return wrap(native.randomRandint(operandOf(low, 'random.randint', 'low'), operandOf(high, 'random.randint', 'high'),
    shapeOf('randint', shape), dtypeCode(opts.dtype ?? 'int32'), keyOf('randint', opts.key), opts.stream));
}

export interface CategoricalOptions extends RandomOptions {
  axis?: number;
  /** Output shape (must broadcast with logits without `axis`); exclusive with numSamples. */
  shape?: number | number[];
  numSamples?: number;
}

/** Samples class indices from unnormalized log-probabilities along `axis` (-1). */
export function categorical(logits: MxArray, opts: CategoricalOptions = {}): MxArray {
  checkOptions('categorical', opts, [...BASE_KEYS, 'axis', 'shape', 'numSamples']);
  if (opts.shape !== undefined && opts.numSamples !== undefined) {
    throw new TypeError('random.categorical: give at most one of shape and numSamples');
  }
  return wrap(native.randomCategorical(arrayOf(logits, 'random.categorical', 'logits'), intOf(opts.axis ?? -1, 'random.categorical', 'axis'),
    opts.shape === undefined ? null : shapeOf('categorical', opts.shape),
    opts.numSamples === undefined ? null : intOf(opts.numSamples, 'random.categorical', 'numSamples'),
    keyOf('categorical', opts.key), opts.stream));
}

/** Standard Gumbel samples. */
export function gumbel(shape: number | number[] = [], opts: SampleOptions = {}): MxArray {
  checkOptions('gumbel', opts, [...BASE_KEYS, 'dtype']);
  return wrap(native.randomGumbel(shapeOf('gumbel', shape), dtypeCode(opts.dtype ?? 'float32'), keyOf('gumbel', opts.key), opts.stream));
}

/** Laplace samples with location `loc` (0) and scale (1). */
export function laplace(shape: number | number[] = [], opts: SampleOptions & { loc?: number; scale?: number } = {}): MxArray {
  checkOptions('laplace', opts, [...BASE_KEYS, 'dtype', 'loc', 'scale']);
  return wrap(native.randomLaplace(shapeOf('laplace', shape), dtypeCode(opts.dtype ?? 'float32'), numberOf(opts.loc ?? 0, 'random.laplace', 'loc'),
    numberOf(opts.scale ?? 1, 'random.laplace', 'scale'), keyOf('laplace', opts.key), opts.stream));
}

/** Samples from N(mean, cov); `shape` is the batch shape in front of mean's last axis. */
export function multivariateNormal(mean: MxArray, cov: MxArray, shape: number | number[] = [], opts: SampleOptions = {}): MxArray {
  checkOptions('multivariateNormal', opts, [...BASE_KEYS, 'dtype']);
  return wrap(native.randomMultivariateNormal(arrayOf(mean, 'random.multivariateNormal', 'mean'), arrayOf(cov, 'random.multivariateNormal', 'cov'),
    shapeOf('multivariateNormal', shape), dtypeCode(opts.dtype ?? 'float32'), keyOf('multivariateNormal', opts.key), opts.stream));
}

/** A shuffled copy of x along `axis` (0), or a random permutation of arange(x) when x is an integer. */
export function permutation(x: MxArray | number, opts: RandomOptions & { axis?: number } = {}): MxArray {
  checkOptions('permutation', opts, [...BASE_KEYS, 'axis']);
  const target = typeof x === 'number' ? intOf(x, 'random.permutation', 'x') : arrayOf(x, 'random.permutation', 'x');
  return wrap(native.randomPermutation(target, intOf(opts.axis ?? 0, 'random.permutation', 'axis'), keyOf('permutation', opts.key), opts.stream));
}

