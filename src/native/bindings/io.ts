/** Native exports of native/io.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface IoBinding {}
