/** Native exports of native/fast.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface FastBinding {}
