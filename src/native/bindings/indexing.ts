/** Native exports of native/indexing.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface IndexingBinding {}
