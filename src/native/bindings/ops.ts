/** Native exports of native/ops.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface OpsBinding {  add(a: Operand, b: Operand, s?: StreamArg): Handle;
  subtract(a: Operand, b: Operand, s?: StreamArg): Handle;
  multiply(a: Operand, b: Operand, s?: StreamArg): Handle;
  divide(a: Operand, b: Operand, s?: StreamArg): Handle;
  matmul(a: Operand, b: Operand, s?: StreamArg): Handle;
  exp(a: Handle, s?: StreamArg): Handle;
  negative(a: Handle, s?: StreamArg): Handle;
  sum(a: Handle, axes: Axes, keepdims: boolean, s?: StreamArg): Handle;
  mean(a: Handle, axes: Axes, keepdims: boolean, s?: StreamArg): Handle;
  reshape(a: Handle, shape: number[], s?: StreamArg): Handle;
}
