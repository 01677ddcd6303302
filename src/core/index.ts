/** mlx-train/core: the `mx` namespace, following mlx.core's names in camelCase. */
export { MxArray as Array, array, isArray, type ArrayLike, type NestedList, type Scalar, type ArrayOptions } from './array.js';
export * from './dtype.js';
export * from './ops.js';
export * from './shape.js';
export * from './indexing.js';
export * from './creation.js';
export * from './quantize.js';
export * from './io.js';
export * from './memory.js';
export * from './device.js';
export * from './transforms.js';
export * from './tree.js';
export * as random from './random.js';
export * as fast from './fast.js';
export { fusedKernelsEnabled, setFusedKernelsEnabled } from './fused-kernels.js';
export { evaluate as eval, asyncEval } from './eval.js';
export { tidy, keep, dispose } from './scope.js';
export { native as _native } from './binding.js';
