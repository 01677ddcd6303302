// The one switch for our fused kernels: with it off, nn.gelu takes the stock MLX op chain (no fused
// primitive in the graph), and the values agree either way.
import { afterEach, describe, expect, it } from 'vitest';
import * as mx from '../../src/core/index.js';
import * as nn from '../../src/nn/index.js';
import { native } from '../../src/core/binding.js';

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

// Every other fused kernel: the primitives in the graph of the layer's output say which path ran
// (dropout gives the same numbers either way, by design, so the values cannot tell).
describe('fused kernel switch reaches every kernel', () => {
  const layers: [string, string, () => mx.Array][] = [
    ['nn.Dropout', 'FusedDropout', () => new nn.Dropout(0.1).forward(mx.ones([4, 8]))],
    ['nn.LayerNorm', 'FusedLayerNorm', () => new nn.LayerNorm(8).forward(mx.ones([4, 8]))],
    ['nn.Embedding', 'FusedEmbedding', () => new nn.Embedding(10, 8).forward(mx.array([1, 2], { dtype: 'int32' }))],
    ['nn.MultiHeadAttention (its attention core)', 'FusedAttention', () => {
      const x = mx.ones([1, 3, 8]);
      return new nn.MultiHeadAttention(8, 2).forward(x, x, x, { attentionMask: mx.array([[1, 1, 0]]) });
    }],
    ['nn.gelu', 'FusedGelu', () => nn.gelu(mx.ones([4]))],
    ['nn.Linear (its bias)', 'FusedBiasAdd', () => new nn.Linear(8, 4).forward(mx.ones([3, 8]))],
    ['nn.LoRALinear (its update joining the frozen output)', 'FusedAdd', () => new nn.LoRALinear(8, 4).forward(mx.ones([3, 8]))],
    ['nn.LayerNorm with a residual', 'FusedLayerNorm', () => new nn.LayerNorm(8).forward(mx.ones([4, 8]), mx.ones([4, 8]))],
  ];
  it.each(layers)('%s: %s when on, stock ops when off', (_, fusedName, build) => {
    mx.tidy(() => {
      const graph = () => native.fusedGraphPrimitives(build().handle);
      mx.setFusedKernelsEnabled(true);
      expect(graph()).toContain(fusedName);
      mx.setFusedKernelsEnabled(false);
      expect(graph().filter((n) => n.startsWith('Fused'))).toEqual([]);
      expect(graph().length).toBeGreaterThan(0);
    });
  });
});
