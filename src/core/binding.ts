/** The loaded addon, shared by the core modules. Importing mlx-train/core loads it. */
import { loadBinding } from '../native/load.js';

export const native = loadBinding();
export type { Handle, Operand, StreamArg } from '../native/binding.js';
