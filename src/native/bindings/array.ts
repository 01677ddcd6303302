/** Native exports of native/array.cc and errors.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../types.js';

export interface ArrayBinding {
  mlxVersion: string;
  setErrorClass(ctor: new (message: string, code: string) => Error): void;

  dispose(h: Handle): boolean;
  /** Tidy scopes (native/wrap.h): the innermost open one owns each new array. closeScope frees what it
   * owns except `escaping`, and says for each of those whether it just passed to the GC's safety net. */
  openScope(): void;
  closeScope(escaping: Handle[]): boolean[];
  /** Hands a scope-owned array to the GC's safety net; false when no scope owned it. */
  keepOutOfScopes(h: Handle): boolean;
  /** V8's external-memory count (bytes), as it paces its collections. */
  v8ExternalMemory(): number;
  isArray(v: unknown): boolean;
  /** Test aid: arrays held for JS on this thread and not yet freed. */
  liveHandles(): number;
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

}
