/** Native exports of native/shape.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../types.js';

export interface ShapeBinding {
  reshape(a: Handle, shape: number[], s?: StreamArg): Handle;
  transpose(a: Handle, axes: Axes, s?: StreamArg): Handle;
  swapaxes(a: Handle, axis1: number, axis2: number, s?: StreamArg): Handle;
  moveaxis(a: Handle, source: number, destination: number, s?: StreamArg): Handle;
  expandDims(a: Handle, axis: number | number[], s?: StreamArg): Handle;
  squeeze(a: Handle, axis: Axes, s?: StreamArg): Handle;
  flatten(a: Handle, startAxis: number, endAxis: number, s?: StreamArg): Handle;
  unflatten(a: Handle, axis: number, shape: number[], s?: StreamArg): Handle;
  concatenate(arrays: Handle[], axis: number | undefined, s?: StreamArg): Handle;
  stack(arrays: Handle[], axis: number, s?: StreamArg): Handle;
  split(a: Handle, sectionsOrIndices: number | number[], axis: number, s?: StreamArg): Handle[];
  pad(a: Handle, axes: number[], lowPad: number[], highPad: number[], constantValue: Operand, mode: string, s?: StreamArg): Handle;
  tile(a: Handle, reps: number[], s?: StreamArg): Handle;
  repeat(a: Handle, repeats: number, axis: number | undefined, s?: StreamArg): Handle;
  broadcastTo(a: Operand, shape: number[], s?: StreamArg): Handle;
  broadcastArrays(arrays: Handle[], s?: StreamArg): Handle[];
  tril(x: Handle, k: number, s?: StreamArg): Handle;
  triu(x: Handle, k: number, s?: StreamArg): Handle;
}
