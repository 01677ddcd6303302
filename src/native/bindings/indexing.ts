/** Native exports of native/indexing.cc. */
import type { Handle, Operand, StreamArg } from '../types.js';

export interface IndexingBinding {
  isTracer(a: Handle): boolean;
  take(a: Handle, indices: Handle | number, axis: number | undefined, s?: StreamArg): Handle;
  takeAlongAxis(a: Handle, indices: Handle, axis: number, s?: StreamArg): Handle;
  putAlongAxis(a: Handle, indices: Handle, values: Operand, axis: number, s?: StreamArg): Handle;
  slice(a: Handle, start: number[], stop: number[], strides: number[], s?: StreamArg): Handle;
  sliceDynamic(a: Handle, start: Handle, axes: number[], sliceSize: number[], s?: StreamArg): Handle;
  sliceUpdate(src: Handle, update: Operand, start: number[], stop: number[], strides: number[], s?: StreamArg): Handle;
  sliceUpdateAdd(src: Handle, update: Operand, start: number[], stop: number[], strides: number[], s?: StreamArg): Handle;
  sliceUpdateDynamic(src: Handle, update: Operand, start: Handle, axes: number[], s?: StreamArg): Handle;
  gather(a: Handle, indices: Handle[], axes: number[], sliceSizes: number[], s?: StreamArg): Handle;
  scatter(a: Handle, indices: Handle[], updates: Operand, axes: number[], s?: StreamArg): Handle;
  scatterAdd(a: Handle, indices: Handle[], updates: Operand, axes: number[], s?: StreamArg): Handle;
}
