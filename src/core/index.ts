/** mlx-train/core: the `mx` namespace, following mlx.core's names in camelCase. */
export { MxArray as Array, array, isArray, type ArrayLike, type NestedList, type Scalar, type ArrayOptions } from './array.js';
export * from './dtype.js';
export * from './ops.js';
export * from './creation.js';
export { evaluate as eval, asyncEval } from './eval.js';
export { tidy, keep, dispose } from './scope.js';
export { native as _native } from './binding.js';
