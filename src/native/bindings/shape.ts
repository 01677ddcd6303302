/** Native exports of native/shape.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface ShapeBinding {}
