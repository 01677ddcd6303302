/** Native exports of native/transforms.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface TransformsBinding {}
