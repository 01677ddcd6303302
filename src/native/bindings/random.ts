/** Native exports of native/random.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface RandomBinding {}
