/**
 * The raw addon interface, private to mlx-train. Arrays cross as opaque handles; dtypes as the codes
 * in core/dtype.ts; streams as `StreamArg`. Every native export is declared here (a test checks both ways).
 */
declare const handleBrand: unique symbol;
export type Handle = { readonly [handleBrand]: true };
export type StreamArg = undefined | 'cpu' | 'gpu' | { index: number; device: 'cpu' | 'gpu'; deviceIndex?: number };
export type Operand = Handle | number | boolean | bigint;
type Axes = number | number[] | undefined;

export interface Binding {
  mlxVersion: string;
  setErrorClass(ctor: new (message: string, code: string) => Error): void;

  // array.cc
  dispose(h: Handle): boolean;
  isArray(v: unknown): boolean;
  meta(h: Handle): number[];
  fromTypedArray(data: ArrayBufferView, shape: number[], dtype: number): Handle;
  scalar(value: number | boolean | bigint, dtype: number): Handle;
  toArrayBuffer(h: Handle): ArrayBuffer;
  eval(...arrays: (Handle | Handle[])[]): void;
  asyncEval(arrays: Handle[]): Promise<void>;
  astype(a: Handle, dtype: number, s?: StreamArg): Handle;
  zeros(shape: number[], dtype: number, s?: StreamArg): Handle;
  ones(shape: number[], dtype: number, s?: StreamArg): Handle;
  full(shape: number[], value: Operand, dtype: number, s?: StreamArg): Handle;
  arange(start: number, stop: number, step: number, dtype: number, s?: StreamArg): Handle;
  linspace(start: number, stop: number, num: number, dtype: number, s?: StreamArg): Handle;
  eye(n: number, m: number, k: number, dtype: number, s?: StreamArg): Handle;
  identity(n: number, dtype: number, s?: StreamArg): Handle;

  // ops.cc
  add(a: Operand, b: Operand, s?: StreamArg): Handle;
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
