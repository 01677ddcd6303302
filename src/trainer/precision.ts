/**
 * Mixed precision: half-precision compute with fp32 master weights, and dynamic loss scaling for fp16
 * (bf16 has fp32's exponent range and needs none). Off by default: on a CPU half matmuls run through a
 * scalar kernel (~90x slower than fp32), so enabling it there warns once.
 */
import * as mx from '../core/index.js';

export type ComputeDtype = 'float32' | 'bfloat16' | 'float16';

let warnedCpu = false;

export function computeDtypeOf(mode: 'off' | 'bf16' | 'fp16'): ComputeDtype {
  if (mode !== 'off' && !warnedCpu && mx.defaultDevice().type === 'cpu') {
    warnedCpu = true;
    process.emitWarning(`training.mixedPrecision=${mode} on the CPU: half-precision matmuls are far slower than fp32 there (no fast kernel); use 'off' on CPU`, {
      code: 'MLX_TRAIN_HALF_ON_CPU',
    });
  }
  return mode === 'bf16' ? 'bfloat16' : mode === 'fp16' ? 'float16' : 'float32';
}

/**
 * Dynamic loss scaling (the fp16 AMP rule): start high, halve on an overflow (and skip that step),
 * double after `growthInterval` clean steps.
 */
export class DynamicLossScaler {
  scale: number;
  goodSteps = 0;
  readonly growthInterval: number;

  constructor(initialScale = 2 ** 15, growthInterval = 2000) {
    this.scale = initialScale;
    this.growthInterval = growthInterval;
  }

  /** Records a step's outcome; returns false when the step must be skipped. */
  update(finite: boolean): boolean {
    if (!finite) {
      this.scale = Math.max(1, this.scale / 2);
      this.goodSteps = 0;
      return false;
    }
    if (++this.goodSteps >= this.growthInterval) {
      this.scale *= 2;
      this.goodSteps = 0;
    }
    return true;
  }

  stateDict(): { scale: number; goodSteps: number } {
    return { scale: this.scale, goodSteps: this.goodSteps };
  }

  loadStateDict(s: { scale: number; goodSteps: number }): void {
    this.scale = s.scale;
    this.goodSteps = s.goodSteps;
  }
}
