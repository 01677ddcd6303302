/**
 * The mx ops, named as in mlx.core (camelCase): arithmetic, comparisons, logic, unary math, reductions,
 * linear algebra, scans and sorts. Each checks what MLX would report poorly, then makes one native call.
 * Numbers are accepted wherever MLX Python accepts a scalar, with MLX's weak scalar typing (a float16
 * array times 2 stays float16). Options are trailing arguments with MLX Python's defaults.
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray, ArrayLike } from './array.js';
import { type Dtype, dtypeCode } from './dtype.js';
import { wrap } from './handle.js';
import { arrayOf, axesOf, axisOf, boolOf, intOf, numberOf, operandOf, optionalOperandOf, type AxesArg } from './op-args.js';

export type { AxesArg } from './op-args.js';

export function astype(a: MxArray, dtype: Dtype, stream?: StreamArg): MxArray {
  return wrap(native.astype(arrayOf(a, 'astype'), dtypeCode(dtype), stream));
}

// ---- Arithmetic -------------------------------------------------------------------------------------

export function add(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.add(operandOf(a, 'add', 'a'), operandOf(b, 'add', 'b'), stream));
}
export function subtract(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.subtract(operandOf(a, 'subtract', 'a'), operandOf(b, 'subtract', 'b'), stream));
}
export function multiply(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.multiply(operandOf(a, 'multiply', 'a'), operandOf(b, 'multiply', 'b'), stream));
}
export function divide(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.divide(operandOf(a, 'divide', 'a'), operandOf(b, 'divide', 'b'), stream));
}
export function floorDivide(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.floorDivide(operandOf(a, 'floorDivide', 'a'), operandOf(b, 'floorDivide', 'b'), stream));
}
export function remainder(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.remainder(operandOf(a, 'remainder', 'a'), operandOf(b, 'remainder', 'b'), stream));
}
export function power(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.power(operandOf(a, 'power', 'a'), operandOf(b, 'power', 'b'), stream));
}
export function maximum(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.maximum(operandOf(a, 'maximum', 'a'), operandOf(b, 'maximum', 'b'), stream));
}
export function minimum(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.minimum(operandOf(a, 'minimum', 'a'), operandOf(b, 'minimum', 'b'), stream));
}
export function negative(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.negative(operandOf(a, 'negative'), stream));
}
export function square(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.square(operandOf(a, 'square'), stream));
}
export function reciprocal(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.reciprocal(operandOf(a, 'reciprocal'), stream));
}
export function abs(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.abs(operandOf(a, 'abs'), stream));
}
export function sign(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.sign(operandOf(a, 'sign'), stream));
}

// ---- Comparisons and logic --------------------------------------------------------------------------

export function equal(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.equal(operandOf(a, 'equal', 'a'), operandOf(b, 'equal', 'b'), stream));
}
export function notEqual(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.notEqual(operandOf(a, 'notEqual', 'a'), operandOf(b, 'notEqual', 'b'), stream));
}
export function less(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.less(operandOf(a, 'less', 'a'), operandOf(b, 'less', 'b'), stream));
}
export function lessEqual(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.lessEqual(operandOf(a, 'lessEqual', 'a'), operandOf(b, 'lessEqual', 'b'), stream));
}
export function greater(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.greater(operandOf(a, 'greater', 'a'), operandOf(b, 'greater', 'b'), stream));
}
export function greaterEqual(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.greaterEqual(operandOf(a, 'greaterEqual', 'a'), operandOf(b, 'greaterEqual', 'b'), stream));
}
export function logicalAnd(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.logicalAnd(operandOf(a, 'logicalAnd', 'a'), operandOf(b, 'logicalAnd', 'b'), stream));
}
export function logicalOr(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.logicalOr(operandOf(a, 'logicalOr', 'a'), operandOf(b, 'logicalOr', 'b'), stream));
}
export function logicalNot(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.logicalNot(operandOf(a, 'logicalNot'), stream));
}
export function isnan(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.isnan(operandOf(a, 'isnan'), stream));
}
export function isinf(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.isinf(operandOf(a, 'isinf'), stream));
}
export function isfinite(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.isfinite(operandOf(a, 'isfinite'), stream));
}

/** |a - b| <= atol + rtol * |b|, elementwise. */
export function isclose(a: MxArray, b: MxArray, rtol = 1e-5, atol = 1e-8, equalNan = false, stream?: StreamArg): MxArray {
  return wrap(native.isclose(arrayOf(a, 'isclose', 'a'), arrayOf(b, 'isclose', 'b'), numberOf(rtol, 'isclose', 'rtol', a),
    numberOf(atol, 'isclose', 'atol', a), boolOf(equalNan, 'isclose', 'equalNan', a), stream));
}
/** A bool scalar: isclose holds everywhere. */
export function allclose(a: MxArray, b: MxArray, rtol = 1e-5, atol = 1e-8, equalNan = false, stream?: StreamArg): MxArray {
  return wrap(native.allclose(arrayOf(a, 'allclose', 'a'), arrayOf(b, 'allclose', 'b'), numberOf(rtol, 'allclose', 'rtol', a),
    numberOf(atol, 'allclose', 'atol', a), boolOf(equalNan, 'allclose', 'equalNan', a), stream));
}
/** A bool scalar: same shape and equal values (the dtypes may differ). */
export function arrayEqual(a: ArrayLike, b: ArrayLike, equalNan = false, stream?: StreamArg): MxArray {
  return wrap(native.arrayEqual(operandOf(a, 'arrayEqual', 'a'), operandOf(b, 'arrayEqual', 'b'),
    boolOf(equalNan, 'arrayEqual', 'equalNan', a), stream));
}
/** x where condition is true, else y (all three broadcast together). */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.where(operandOf(condition, 'where', 'condition'), operandOf(x, 'where', 'x'), operandOf(y, 'where', 'y'), stream));
}

// ---- Unary math -------------------------------------------------------------------------------------

export function exp(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.exp(operandOf(a, 'exp'), stream));
}
export function expm1(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.expm1(operandOf(a, 'expm1'), stream));
}
export function log(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.log(operandOf(a, 'log'), stream));
}
export function log1p(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.log1p(operandOf(a, 'log1p'), stream));
}
export function log2(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.log2(operandOf(a, 'log2'), stream));
}
export function log10(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.log10(operandOf(a, 'log10'), stream));
}
export function sqrt(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.sqrt(operandOf(a, 'sqrt'), stream));
}
export function rsqrt(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.rsqrt(operandOf(a, 'rsqrt'), stream));
}
export function sin(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.sin(operandOf(a, 'sin'), stream));
}
export function cos(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.cos(operandOf(a, 'cos'), stream));
}
export function tan(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.tan(operandOf(a, 'tan'), stream));
}
export function tanh(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.tanh(operandOf(a, 'tanh'), stream));
}
export function sinh(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.sinh(operandOf(a, 'sinh'), stream));
}
export function cosh(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.cosh(operandOf(a, 'cosh'), stream));
}
export function arcsin(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.arcsin(operandOf(a, 'arcsin'), stream));
}
export function arccos(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.arccos(operandOf(a, 'arccos'), stream));
}
export function arctan(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.arctan(operandOf(a, 'arctan'), stream));
}
export function arctan2(a: ArrayLike, b: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.arctan2(operandOf(a, 'arctan2', 'a'), operandOf(b, 'arctan2', 'b'), stream));
}
export function erf(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.erf(operandOf(a, 'erf'), stream));
}
export function erfinv(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.erfinv(operandOf(a, 'erfinv'), stream));
}
export function sigmoid(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.sigmoid(operandOf(a, 'sigmoid'), stream));
}
export function floor(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.floor(operandOf(a, 'floor'), stream));
}
export function ceil(a: ArrayLike, stream?: StreamArg): MxArray {
  return wrap(native.ceil(operandOf(a, 'ceil'), stream));
}
/** Rounds half to even, to `decimals` places (negative: tens, hundreds, …). */
export function round(a: ArrayLike, decimals = 0, stream?: StreamArg): MxArray {
  return wrap(native.round(operandOf(a, 'round'), intOf(decimals, 'round', 'decimals', a), stream));
}
/** Clips to [min, max]; either bound may be null (not both). Scalar bounds take a's dtype. */
export function clip(a: MxArray, min: ArrayLike | null, max: ArrayLike | null, stream?: StreamArg): MxArray {
  return wrap(native.clip(arrayOf(a, 'clip'), optionalOperandOf(min, 'clip', 'min'), optionalOperandOf(max, 'clip', 'max'), stream));
}
/** Softmax over `axis` (default: every axis); `precise` computes in float32 for half-precision inputs. */
export function softmax(a: MxArray, axis?: AxesArg, precise = false, stream?: StreamArg): MxArray {
  return wrap(native.softmax(arrayOf(a, 'softmax'), axesOf(axis, 'softmax', a), boolOf(precise, 'softmax', 'precise', a), stream));
}
export function stopGradient(a: MxArray, stream?: StreamArg): MxArray {
  return wrap(native.stopGradient(arrayOf(a, 'stopGradient'), stream));
}

// ---- Reductions (axis: one, several, or undefined/null for all) ----------------------------------------

export function sum(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.sum(arrayOf(a, 'sum'), axesOf(axis, 'sum', a), boolOf(keepdims, 'sum', 'keepdims', a), stream));
}
export function mean(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.mean(arrayOf(a, 'mean'), axesOf(axis, 'mean', a), boolOf(keepdims, 'mean', 'keepdims', a), stream));
}
export function prod(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.prod(arrayOf(a, 'prod'), axesOf(axis, 'prod', a), boolOf(keepdims, 'prod', 'keepdims', a), stream));
}
export function max(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.max(arrayOf(a, 'max'), axesOf(axis, 'max', a), boolOf(keepdims, 'max', 'keepdims', a), stream));
}
export function min(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.min(arrayOf(a, 'min'), axesOf(axis, 'min', a), boolOf(keepdims, 'min', 'keepdims', a), stream));
}
export function all(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.all(arrayOf(a, 'all'), axesOf(axis, 'all', a), boolOf(keepdims, 'all', 'keepdims', a), stream));
}
export function any(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.any(arrayOf(a, 'any'), axesOf(axis, 'any', a), boolOf(keepdims, 'any', 'keepdims', a), stream));
}
/** log(sum(exp(a))) computed without overflow. */
export function logsumexp(a: MxArray, axis?: AxesArg, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.logsumexp(arrayOf(a, 'logsumexp'), axesOf(axis, 'logsumexp', a), boolOf(keepdims, 'logsumexp', 'keepdims', a), stream));
}
/** Variance with `ddof` delta degrees of freedom (divides by N - ddof). Exported as `var`. */
function variance(a: MxArray, axis?: AxesArg, keepdims = false, ddof = 0, stream?: StreamArg): MxArray {
  return wrap(native.var(arrayOf(a, 'var'), axesOf(axis, 'var', a), boolOf(keepdims, 'var', 'keepdims', a), intOf(ddof, 'var', 'ddof', a), stream));
}
export { variance as var };
export function std(a: MxArray, axis?: AxesArg, keepdims = false, ddof = 0, stream?: StreamArg): MxArray {
  return wrap(native.std(arrayOf(a, 'std'), axesOf(axis, 'std', a), boolOf(keepdims, 'std', 'keepdims', a), intOf(ddof, 'std', 'ddof', a), stream));
}
/** Index of the largest value along one axis (undefined/null: of the flattened array), as uint32. */
export function argmax(a: MxArray, axis?: number | null, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.argmax(arrayOf(a, 'argmax'), axisOf(axis, 'argmax', a), boolOf(keepdims, 'argmax', 'keepdims', a), stream));
}
export function argmin(a: MxArray, axis?: number | null, keepdims = false, stream?: StreamArg): MxArray {
  return wrap(native.argmin(arrayOf(a, 'argmin'), axisOf(axis, 'argmin', a), boolOf(keepdims, 'argmin', 'keepdims', a), stream));
}

// ---- Linear algebra ---------------------------------------------------------------------------------

export function matmul(a: MxArray, b: MxArray, stream?: StreamArg): MxArray {
  return wrap(native.matmul(arrayOf(a, 'matmul', 'a'), arrayOf(b, 'matmul', 'b'), stream));
}
/** Sum-product over the last axes of a and b. */
export function inner(a: MxArray, b: MxArray, stream?: StreamArg): MxArray {
  return wrap(native.inner(arrayOf(a, 'inner', 'a'), arrayOf(b, 'inner', 'b'), stream));
}
/** Outer product of the flattened a and b. */
export function outer(a: MxArray, b: MxArray, stream?: StreamArg): MxArray {
  return wrap(native.outer(arrayOf(a, 'outer', 'a'), arrayOf(b, 'outer', 'b'), stream));
}
/** beta * c + alpha * (a @ b), fused. */
export function addmm(c: MxArray, a: MxArray, b: MxArray, alpha = 1, beta = 1, stream?: StreamArg): MxArray {
  return wrap(native.addmm(arrayOf(c, 'addmm', 'c'), arrayOf(a, 'addmm', 'a'), arrayOf(b, 'addmm', 'b'),
    numberOf(alpha, 'addmm', 'alpha', a), numberOf(beta, 'addmm', 'beta', a), stream));
}

// ---- Scans (axis undefined/null: the flattened array) ---------------------------------------------------

export function cumsum(a: MxArray, axis?: number | null, reverse = false, inclusive = true, stream?: StreamArg): MxArray {
  return wrap(native.cumsum(arrayOf(a, 'cumsum'), axisOf(axis, 'cumsum', a), boolOf(reverse, 'cumsum', 'reverse', a),
    boolOf(inclusive, 'cumsum', 'inclusive', a), stream));
}
export function cumprod(a: MxArray, axis?: number | null, reverse = false, inclusive = true, stream?: StreamArg): MxArray {
  return wrap(native.cumprod(arrayOf(a, 'cumprod'), axisOf(axis, 'cumprod', a), boolOf(reverse, 'cumprod', 'reverse', a),
    boolOf(inclusive, 'cumprod', 'inclusive', a), stream));
}
export function cummax(a: MxArray, axis?: number | null, reverse = false, inclusive = true, stream?: StreamArg): MxArray {
  return wrap(native.cummax(arrayOf(a, 'cummax'), axisOf(axis, 'cummax', a), boolOf(reverse, 'cummax', 'reverse', a),
    boolOf(inclusive, 'cummax', 'inclusive', a), stream));
}
export function cummin(a: MxArray, axis?: number | null, reverse = false, inclusive = true, stream?: StreamArg): MxArray {
  return wrap(native.cummin(arrayOf(a, 'cummin'), axisOf(axis, 'cummin', a), boolOf(reverse, 'cummin', 'reverse', a),
    boolOf(inclusive, 'cummin', 'inclusive', a), stream));
}

// ---- Sorting and selection (axis default -1 as in MLX Python; null: the flattened array) -----------------

/** Stable sort; NaNs go last. */
export function sort(a: MxArray, axis: number | null = -1, stream?: StreamArg): MxArray {
  return wrap(native.sort(arrayOf(a, 'sort'), axisOf(axis, 'sort', a), stream));
}
export function argsort(a: MxArray, axis: number | null = -1, stream?: StreamArg): MxArray {
  return wrap(native.argsort(arrayOf(a, 'argsort'), axisOf(axis, 'argsort', a), stream));
}
/** The k largest values along `axis`, in no particular order. */
export function topk(a: MxArray, k: number, axis: number | null = -1, stream?: StreamArg): MxArray {
  return wrap(native.topk(arrayOf(a, 'topk'), intOf(k, 'topk', 'k', a), axisOf(axis, 'topk', a), stream));
}
/** A copy where the element at `kth` is in sorted position, smaller ones before it, larger after. */
export function partition(a: MxArray, kth: number, axis: number | null = -1, stream?: StreamArg): MxArray {
  return wrap(native.partition(arrayOf(a, 'partition'), intOf(kth, 'partition', 'kth', a), axisOf(axis, 'partition', a), stream));
}
export function argpartition(a: MxArray, kth: number, axis: number | null = -1, stream?: StreamArg): MxArray {
  return wrap(native.argpartition(arrayOf(a, 'argpartition'), intOf(kth, 'argpartition', 'kth', a), axisOf(axis, 'argpartition', a), stream));
}
