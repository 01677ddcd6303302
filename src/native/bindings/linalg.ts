/** Native exports of native/linalg.cc. */
import type { Handle, StreamArg } from '../types.js';

export interface LinalgBinding {
  linalgNorm(a: Handle, ord: number | string | null, axes: number[] | null, keepdims: boolean, s?: StreamArg): Handle;
  linalgQr(a: Handle, s?: StreamArg): [Handle, Handle];
  linalgSvd(a: Handle, computeUv: boolean, s?: StreamArg): Handle[];
  linalgInv(a: Handle, s?: StreamArg): Handle;
  linalgPinv(a: Handle, s?: StreamArg): Handle;
  linalgTriInv(a: Handle, upper: boolean, s?: StreamArg): Handle;
  linalgCholesky(a: Handle, upper: boolean, s?: StreamArg): Handle;
  linalgCholeskyInv(a: Handle, upper: boolean, s?: StreamArg): Handle;
  linalgLu(a: Handle, s?: StreamArg): [Handle, Handle, Handle];
  linalgLuFactor(a: Handle, s?: StreamArg): [Handle, Handle];
  linalgSolve(a: Handle, b: Handle, s?: StreamArg): Handle;
  linalgSolveTriangular(a: Handle, b: Handle, upper: boolean, s?: StreamArg): Handle;
  linalgCross(a: Handle, b: Handle, axis: number, s?: StreamArg): Handle;
  linalgEig(a: Handle, s?: StreamArg): [Handle, Handle];
  linalgEigvals(a: Handle, s?: StreamArg): Handle;
  linalgEigh(a: Handle, uplo: 'L' | 'U', s?: StreamArg): [Handle, Handle];
  linalgEigvalsh(a: Handle, uplo: 'L' | 'U', s?: StreamArg): Handle;
  linalgDet(a: Handle, s?: StreamArg): Handle;
  linalgSlogdet(a: Handle, s?: StreamArg): [Handle, Handle];
}
