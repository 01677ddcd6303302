import type { ArrayBinding } from './bindings/array.js';
import type { OpsBinding } from './bindings/ops.js';
import type { ShapeBinding } from './bindings/shape.js';
import type { IndexingBinding } from './bindings/indexing.js';
import type { RandomBinding } from './bindings/random.js';
import type { FastBinding } from './bindings/fast.js';
import type { FusedBinding } from './bindings/fused.js';
import type { QuantizeBinding } from './bindings/quantize.js';
import type { IoBinding } from './bindings/io.js';
import type { MemoryBinding } from './bindings/memory.js';
import type { DeviceBinding } from './bindings/device.js';
import type { TransformsBinding } from './bindings/transforms.js';
import type { DistributedBinding } from './bindings/distributed.js';
import type { SystemBinding } from './bindings/system.js';
import type { LinalgBinding } from './bindings/linalg.js';
import type { OptimBinding } from './bindings/optim.js';

/**
 * The raw addon interface, private to mlx-train. Arrays cross as opaque handles; dtypes as the codes
 * in core/dtype.ts; streams as `StreamArg`. Every native export is declared here (a test checks both ways).
 */
export type { Handle, StreamArg, Operand, Axes } from './types.js';

export interface Binding extends LinalgBinding, DistributedBinding, SystemBinding, ArrayBinding, OpsBinding, ShapeBinding, IndexingBinding, RandomBinding, FastBinding, FusedBinding, QuantizeBinding, IoBinding, MemoryBinding, DeviceBinding, TransformsBinding, OptimBinding {
  mlxVersion: string;
}
