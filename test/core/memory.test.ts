import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';

const MB = 1 << 20;

/** An evaluated float32 array of `bytes` bytes. */
function allocate(bytes: number): mx.Array {
  const a = mx.ones([bytes / 4]);
  mx.eval(a);
  return a;
}

describe('memory statistics follow real allocations', () => {
  it('active memory grows by the array size and falls back when it is disposed', () => {
    const before = mx.getActiveMemory();
    const a = allocate(8 * MB);
    const during = mx.getActiveMemory();
    expect(during - before).toBeGreaterThanOrEqual(8 * MB);
    a.dispose();
    expect(mx.getActiveMemory()).toBeLessThanOrEqual(during - 8 * MB);
  });

  it('peak memory records the high-water mark until reset', () => {
    mx.resetPeakMemory();
    const base = mx.getActiveMemory();
    const a = allocate(16 * MB);
    a.dispose();
    const peak = mx.getPeakMemory();
    expect(peak).toBeGreaterThanOrEqual(base + 16 * MB);
    expect(mx.getActiveMemory()).toBeLessThan(peak);
    mx.resetPeakMemory();
    expect(mx.getPeakMemory()).toBeLessThan(peak);
  });

  it('freed buffers go to the cache, clearCache empties it, and a zero cache limit disables it', () => {
    const previous = mx.setCacheLimit(1024 * MB);
    try {
      allocate(4 * MB).dispose();
      expect(mx.getCacheMemory()).toBeGreaterThanOrEqual(4 * MB);
      mx.clearCache();
      expect(mx.getCacheMemory()).toBe(0);
      expect(mx.setCacheLimit(0)).toBe(1024 * MB);
      allocate(4 * MB).dispose();
      expect(mx.getCacheMemory()).toBe(0);
    } finally {
      mx.setCacheLimit(previous);
    }
  });

  it('getArrayBufferSize counts each evaluated buffer once', () => {
    const a = allocate(MB);
    try {
      expect(mx.getArrayBufferSize([a])).toBeGreaterThanOrEqual(MB);
      expect(mx.getArrayBufferSize([a, a])).toBe(mx.getArrayBufferSize([a]));
    } finally {
      a.dispose();
    }
  });

  it('setMemoryLimit returns the previous limit; on the CPU backend it is a guideline, not a cap', () => {
    const original = mx.getMemoryLimit();
    expect(original).toBeGreaterThan(0);
    expect(mx.setMemoryLimit(2 * MB)).toBe(original);
    expect(mx.getMemoryLimit()).toBe(2 * MB);
    try {
      // MLX's CPU allocator only fails when the system allocator does, so an allocation 32× over the
      // limit succeeds (documented behaviour, checked here so a change in MLX is noticed).
      const big = allocate(64 * MB);
      expect(big.size).toBe(16 * MB);
      big.dispose();
    } finally {
      expect(mx.setMemoryLimit(original)).toBe(2 * MB);
    }
  });

  it('setWiredLimit is a Metal-only setting: a no-op returning 0 on the CPU backend', () => {
    expect(mx.setWiredLimit(0)).toBe(0);
  });

  const bad: [string, () => unknown, RegExp][] = [
    ['negative memory limit', () => mx.setMemoryLimit(-1), /expected a non-negative integer number of bytes for setMemoryLimit limit/],
    ['fractional cache limit', () => mx.setCacheLimit(1.5), /setCacheLimit limit/],
    ['string wired limit', () => mx.setWiredLimit('1GB' as unknown as number), /setWiredLimit limit but received '1GB'/],
    ['getArrayBufferSize of a non-list', () => mx.getArrayBufferSize(3 as unknown as mx.Array[]), /getArrayBufferSize arrays/],
  ];
  for (const [label, call, message] of bad) {
    it(`bad call: ${label}`, () => expect(call).toThrow(message));
  }
});
