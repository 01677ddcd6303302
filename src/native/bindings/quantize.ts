/** Native exports of native/quantize.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface QuantizeBinding {}
