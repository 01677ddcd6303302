/** Native exports of native/device.cc. */
import type { Handle, Operand, StreamArg, Axes } from '../binding.js';

export interface DeviceBinding {}
