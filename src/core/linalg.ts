/**
 * mx.linalg, following mlx.core.linalg in camelCase: norms, and the factorizations MLX runs through
 * LAPACK on the CPU (QR, SVD, LU, Cholesky, eigen-decompositions, inverses, solves, determinants).
 * Options are a trailing object; shapes are checked here so a mistake names the op, the argument and its
 * shape before MLX sees it.
 */
import { native, type StreamArg } from './binding.js';
import type { MxArray } from './array.js';
import { wrap, wrapMany } from './handle.js';
import { arrayOf, axesOf, boolOf, intOf, optionKeysOf } from './op-args.js';
import { invalidArg, ShapeError } from '../errors.js';

export interface LinalgOptions {
  stream?: StreamArg;
}
export interface TriangularOptions extends LinalgOptions {
  /** Use (or produce) the upper triangle instead of the lower one. */
  upper?: boolean;
}

/** The handle of a (batch of) matrix argument, checked: ≥ 2 dimensions, square when `square`. */
function matrixOf(x: unknown, op: string, name = 'a', square = true) {
  const handle = arrayOf(x, `linalg.${op}`, name);
  const shape = (x as MxArray).shape;
  const n = shape.length;
  if (n < 2 || (square && shape[n - 1] !== shape[n - 2])) {
    throw new ShapeError(`linalg.${op}: expected ${square ? 'a square matrix (or a batch of them)' : 'a matrix (or a batch of them)'} ` +
      `for ${name} but received shape [${shape.join(',')}] (${(x as MxArray).dtype})`);
  }
  return handle;
}

function options<T extends object>(op: string, opts: T, allowed: string[]): T {
  optionKeysOf(opts, `linalg.${op}`, allowed);
  return opts;
}

const upperOf = (op: string, opts: TriangularOptions) => boolOf(options(op, opts, ['upper', 'stream']).upper ?? false, `linalg.${op}`, 'upper');

export interface NormOptions extends LinalgOptions {
  /** Axis or two axes to reduce; every axis (a vector or matrix norm of the whole array) when omitted. */
  axis?: number | number[] | null;
  keepdims?: boolean;
}

/**
 * Vector or matrix norm, as mlx.core.linalg.norm: `ord` is a number (p-norm, ±Infinity, 0), 'fro' or 'nuc',
 * or null/omitted for the 2-norm of a vector / Frobenius norm of a matrix.
 */
export function norm(a: MxArray, ord: number | 'fro' | 'nuc' | null = null, opts: NormOptions = {}): MxArray {
  options('norm', opts, ['axis', 'keepdims', 'stream']);
  if (ord !== null && typeof ord !== 'number' && ord !== 'fro' && ord !== 'nuc') throw invalidArg("a number, 'fro', 'nuc' or null", 'linalg.norm ord', ord);
  const axes = axesOf(opts.axis, 'linalg.norm', a);
  return wrap(native.linalgNorm(arrayOf(a, 'linalg.norm'), ord, axes === undefined ? null : typeof axes === 'number' ? [axes] : axes,
    boolOf(opts.keepdims ?? false, 'linalg.norm', 'keepdims', a), opts.stream));
}

/** QR factorization: [Q, R] with Q orthonormal and R upper triangular. */
export function qr(a: MxArray, opts: LinalgOptions = {}): [MxArray, MxArray] {
  options('qr', opts, ['stream']);
  return wrapMany(native.linalgQr(matrixOf(a, 'qr', 'a', false), opts.stream)) as [MxArray, MxArray];
}

/** Singular value decomposition: [U, S, Vt], or [S] alone with `computeUv: false`. */
export function svd(a: MxArray, opts: LinalgOptions & { computeUv?: boolean } = {}): MxArray[] {
  options('svd', opts, ['computeUv', 'stream']);
  return wrapMany(native.linalgSvd(matrixOf(a, 'svd', 'a', false), boolOf(opts.computeUv ?? true, 'linalg.svd', 'computeUv'), opts.stream));
}

export function inv(a: MxArray, opts: LinalgOptions = {}): MxArray {
  options('inv', opts, ['stream']);
  return wrap(native.linalgInv(matrixOf(a, 'inv'), opts.stream));
}

/** Moore–Penrose pseudo-inverse (through the SVD). */
export function pinv(a: MxArray, opts: LinalgOptions = {}): MxArray {
  options('pinv', opts, ['stream']);
  return wrap(native.linalgPinv(matrixOf(a, 'pinv', 'a', false), opts.stream));
}

/** Inverse of a triangular matrix (lower unless `upper`). */
export function triInv(a: MxArray, opts: TriangularOptions = {}): MxArray {
  return wrap(native.linalgTriInv(matrixOf(a, 'triInv'), upperOf('triInv', opts), opts.stream));
}

/** Cholesky factor of a symmetric positive-definite matrix: L (or U with `upper`). */
export function cholesky(a: MxArray, opts: TriangularOptions = {}): MxArray {
  return wrap(native.linalgCholesky(matrixOf(a, 'cholesky'), upperOf('cholesky', opts), opts.stream));
}

/** Inverse of A from its Cholesky factor `l` (upper with `upper`). */
export function choleskyInv(l: MxArray, opts: TriangularOptions = {}): MxArray {
  return wrap(native.linalgCholeskyInv(matrixOf(l, 'choleskyInv', 'l'), upperOf('choleskyInv', opts), opts.stream));
}

/** LU decomposition with partial pivoting: [P, L, U] with A = P[...] rows of L @ U (P as row indices). */
export function lu(a: MxArray, opts: LinalgOptions = {}): [MxArray, MxArray, MxArray] {
  options('lu', opts, ['stream']);
  return wrapMany(native.linalgLu(matrixOf(a, 'lu', 'a', false), opts.stream)) as [MxArray, MxArray, MxArray];
}

/** LAPACK's packed LU factorization: [LU, pivots]. */
export function luFactor(a: MxArray, opts: LinalgOptions = {}): [MxArray, MxArray] {
  options('luFactor', opts, ['stream']);
  return wrapMany(native.linalgLuFactor(matrixOf(a, 'luFactor', 'a', false), opts.stream)) as [MxArray, MxArray];
}

/** Solves a x = b for square a. */
export function solve(a: MxArray, b: MxArray, opts: LinalgOptions = {}): MxArray {
  options('solve', opts, ['stream']);
  return wrap(native.linalgSolve(matrixOf(a, 'solve'), arrayOf(b, 'linalg.solve', 'b'), opts.stream));
}

/** Solves a x = b for triangular a (lower unless `upper`). */
export function solveTriangular(a: MxArray, b: MxArray, opts: TriangularOptions = {}): MxArray {
  const upper = upperOf('solveTriangular', opts);
  return wrap(native.linalgSolveTriangular(matrixOf(a, 'solveTriangular'), arrayOf(b, 'linalg.solveTriangular', 'b'), upper, opts.stream));
}

/** Cross product of 3-vectors along `axis` (default -1). */
export function cross(a: MxArray, b: MxArray, opts: LinalgOptions & { axis?: number } = {}): MxArray {
  options('cross', opts, ['axis', 'stream']);
  return wrap(native.linalgCross(arrayOf(a, 'linalg.cross', 'a'), arrayOf(b, 'linalg.cross', 'b'),
    intOf(opts.axis ?? -1, 'linalg.cross', 'axis', a), opts.stream));
}

/** Eigenvalues and right eigenvectors of a general square matrix: [w, v], both complex64. */
export function eig(a: MxArray, opts: LinalgOptions = {}): [MxArray, MxArray] {
  options('eig', opts, ['stream']);
  return wrapMany(native.linalgEig(matrixOf(a, 'eig'), opts.stream)) as [MxArray, MxArray];
}

export function eigvals(a: MxArray, opts: LinalgOptions = {}): MxArray {
  options('eigvals', opts, ['stream']);
  return wrap(native.linalgEigvals(matrixOf(a, 'eigvals'), opts.stream));
}

export interface HermitianOptions extends LinalgOptions {
  /** Which triangle of `a` is read: 'L' (default) or 'U'. */
  UPLO?: 'L' | 'U';
}

function uploOf(op: string, opts: HermitianOptions): 'L' | 'U' {
  options(op, opts, ['UPLO', 'stream']);
  const uplo = opts.UPLO ?? 'L';
  if (uplo !== 'L' && uplo !== 'U') throw invalidArg("'L' or 'U'", `linalg.${op} UPLO`, uplo);
  return uplo;
}

/** Eigen-decomposition of a symmetric (Hermitian) matrix: [ascending eigenvalues, eigenvectors as columns]. */
export function eigh(a: MxArray, opts: HermitianOptions = {}): [MxArray, MxArray] {
  const uplo = uploOf('eigh', opts);
  return wrapMany(native.linalgEigh(matrixOf(a, 'eigh'), uplo, opts.stream)) as [MxArray, MxArray];
}

export function eigvalsh(a: MxArray, opts: HermitianOptions = {}): MxArray {
  const uplo = uploOf('eigvalsh', opts);
  return wrap(native.linalgEigvalsh(matrixOf(a, 'eigvalsh'), uplo, opts.stream));
}

export function det(a: MxArray, opts: LinalgOptions = {}): MxArray {
  options('det', opts, ['stream']);
  return wrap(native.linalgDet(matrixOf(a, 'det'), opts.stream));
}

/** Sign and natural log of the absolute determinant: [sign, logabsdet]. */
export function slogdet(a: MxArray, opts: LinalgOptions = {}): [MxArray, MxArray] {
  options('slogdet', opts, ['stream']);
  return wrapMany(native.linalgSlogdet(matrixOf(a, 'slogdet'), opts.stream)) as [MxArray, MxArray];
}
