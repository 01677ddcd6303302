/** Native exports of native/ops.cc. Every argument is explicit; defaults live in src/core/ops.ts. */
import type { Handle, Operand, StreamArg, Axes } from '../types.js';

type Binary = (a: Operand, b: Operand, s?: StreamArg) => Handle;
type Unary = (a: Operand, s?: StreamArg) => Handle;
/** axes undefined/null: every axis. */
type Reduce = (a: Handle, axes: Axes | null, keepdims: boolean, s?: StreamArg) => Handle;
type ReduceDdof = (a: Handle, axes: Axes | null, keepdims: boolean, ddof: number, s?: StreamArg) => Handle;
/** axis undefined/null: the flattened array. */
type ArgReduce = (a: Handle, axis: number | null | undefined, keepdims: boolean, s?: StreamArg) => Handle;
type Scan = (a: Handle, axis: number | null | undefined, reverse: boolean, inclusive: boolean, s?: StreamArg) => Handle;
type Sort = (a: Handle, axis: number | null | undefined, s?: StreamArg) => Handle;
type Select = (a: Handle, k: number, axis: number | null | undefined, s?: StreamArg) => Handle;

export interface OpsBinding {
  add: Binary;
  subtract: Binary;
  multiply: Binary;
  divide: Binary;
  floorDivide: Binary;
  remainder: Binary;
  power: Binary;
  maximum: Binary;
  minimum: Binary;
  arctan2: Binary;
  negative: Unary;
  square: Unary;
  reciprocal: Unary;
  abs: Unary;
  sign: Unary;

  equal: Binary;
  notEqual: Binary;
  less: Binary;
  lessEqual: Binary;
  greater: Binary;
  greaterEqual: Binary;
  logicalAnd: Binary;
  logicalOr: Binary;
  logicalNot: Unary;
  isnan: Unary;
  isinf: Unary;
  isfinite: Unary;
  isclose(a: Operand, b: Operand, rtol: number, atol: number, equalNan: boolean, s?: StreamArg): Handle;
  allclose(a: Operand, b: Operand, rtol: number, atol: number, equalNan: boolean, s?: StreamArg): Handle;
  arrayEqual(a: Operand, b: Operand, equalNan: boolean, s?: StreamArg): Handle;
  where(condition: Operand, x: Operand, y: Operand, s?: StreamArg): Handle;

  exp: Unary;
  expm1: Unary;
  log: Unary;
  log1p: Unary;
  log2: Unary;
  log10: Unary;
  sqrt: Unary;
  rsqrt: Unary;
  sin: Unary;
  cos: Unary;
  tan: Unary;
  tanh: Unary;
  sinh: Unary;
  cosh: Unary;
  arcsin: Unary;
  arccos: Unary;
  arctan: Unary;
  erf: Unary;
  erfinv: Unary;
  sigmoid: Unary;
  floor: Unary;
  ceil: Unary;
  stopGradient: Unary;
  round(a: Operand, decimals: number, s?: StreamArg): Handle;
  /** Bounds null/undefined: unbounded on that side (MLX requires at least one). */
  clip(a: Handle, min: Operand | null | undefined, max: Operand | null | undefined, s?: StreamArg): Handle;
  softmax(a: Handle, axes: Axes | null, precise: boolean, s?: StreamArg): Handle;

  sum: Reduce;
  mean: Reduce;
  prod: Reduce;
  max: Reduce;
  min: Reduce;
  all: Reduce;
  any: Reduce;
  logsumexp: Reduce;
  var: ReduceDdof;
  std: ReduceDdof;
  argmax: ArgReduce;
  argmin: ArgReduce;

  matmul: Binary;
  inner: Binary;
  outer: Binary;
  addmm(c: Handle, a: Handle, b: Handle, alpha: number, beta: number, s?: StreamArg): Handle;

  cumsum: Scan;
  cumprod: Scan;
  cummax: Scan;
  cummin: Scan;
  sort: Sort;
  argsort: Sort;
  topk: Select;
  partition: Select;
  argpartition: Select;
}
