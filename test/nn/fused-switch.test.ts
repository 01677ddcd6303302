// The one switch for our fused kernels: with it off, nn.gelu takes the stock MLX op chain (no fused
// primitive in the graph), and the values agree either way.
import { afterEach, describe, expect, it } from 'vitest';
import * as mx from '../../src/core/index.js';
import * as nn from '../../src/nn/index.js';

afterEach(() => mx.setFusedKernelsEnabled(undefined));

describe('fused kernel switch', () => {
  it('reads MLX_TRAIN_FUSED and can be overridden', () => {
    const saved = process.env.MLX_TRAIN_FUSED;
    try {
      process.env.MLX_TRAIN_FUSED = '0';
      expect(mx.fusedKernelsEnabled()).toBe(false);
      process.env.MLX_TRAIN_FUSED = '1';
      expect(mx.fusedKernelsEnabled()).toBe(true);
      mx.setFusedKernelsEnabled(false);
      expect(mx.fusedKernelsEnabled()).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.MLX_TRAIN_FUSED;
      else process.env.MLX_TRAIN_FUSED = saved;
    }
  });

  it('nn.gelu takes the fused kernel when on and the op chain when off', () => {
    const x = mx.multiply(mx.random.normal([4096], { key: mx.random.key(3) }), 3);
    const fused = Array.from(mx.fused.gelu(x).toTypedArray() as Float32Array);
    const chain = Array.from(mx.divide(mx.multiply(x, mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1)), 2).toTypedArray() as Float32Array);
    // The two differ in the last bits somewhere, so equality with one of them says which path ran.
    expect(fused.some((v, i) => v !== chain[i])).toBe(true);
    mx.setFusedKernelsEnabled(true);
    expect(Array.from(nn.gelu(x).toTypedArray() as Float32Array)).toEqual(fused);
    mx.setFusedKernelsEnabled(false);
    expect(Array.from(nn.gelu(x).toTypedArray() as Float32Array)).toEqual(chain);
  });
});
