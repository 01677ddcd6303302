/**
 * The Array class as the op modules see it. array.ts registers the class (and mx.array) when it loads;
 * handle.ts, op-args.ts, shape.ts and indexing.ts make and recognise arrays through here, so they need
 * no runtime import of array.ts, which imports them for its methods (the circle this file breaks).
 * Any array in existence was made by a loaded array.ts, so the registration is always there in time.
 */
import type { ArrayLike, ArrayOptions, MxArray, NestedList } from './array.js';
import type { Handle } from './binding.js';
import type { Dtype } from './dtype.js';

type ArrayClass = new (handle: Handle) => MxArray;
type ArrayFactory = (value: NestedList | ArrayBufferView | ArrayLike, dtypeOrOptions?: Dtype | ArrayOptions) => MxArray;

let cls: ArrayClass | undefined;
let factory: ArrayFactory | undefined;

/** Called once by array.ts. */
export function registerArrayClass(arrayClass: ArrayClass, makeArray: ArrayFactory): void {
  cls = arrayClass;
  factory = makeArray;
}

function loaded(): never {
  throw new Error('mlx-train internal error: core/array.ts was not loaded before an op ran');
}

/** `x instanceof mx.Array`. */
export function isMxArray(x: unknown): x is MxArray {
  return cls !== undefined && x instanceof cls;
}

/** A new mx.Array owning `handle`. */
export function newArray(handle: Handle): MxArray {
  return cls ? new cls(handle) : loaded();
}

/** mx.array(value, dtype). */
export function makeArray(value: NestedList | ArrayBufferView | ArrayLike, dtypeOrOptions?: Dtype | ArrayOptions): MxArray {
  return factory ? factory(value, dtypeOrOptions) : loaded();
}
