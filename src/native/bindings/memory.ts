/** Native exports of native/memory.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface MemoryBinding {}
