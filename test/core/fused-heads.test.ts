/**
 * mx.fused.splitHeads / mergeHeads (native/fused/heads.cc): a permutation, so each must equal the stock
 * reshape + transpose bit for bit, value, vjp and jvp, compiled or not, over inputs large enough to be
 * split across threads and over non-contiguous ones. nn.MultiHeadAttention, which uses them, is checked
 * against Python mlx.nn (value and gradients) in test/nn/attention-parity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';

const bits = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);
const stockSplit = (x: mx.Array, h: number) => mx.transpose(mx.reshape(x, [...x.shape.slice(0, -1), h, x.shape.at(-1)! / h]), [0, 2, 1, 3]);
const stockMerge = (x: mx.Array) => mx.reshape(mx.transpose(x, [0, 2, 1, 3]), [x.shape[0], x.shape[2], x.shape[1] * x.shape[3]]);

describe('fused.splitHeads / mergeHeads', () => {
  // 4 × 300 rows of 12 heads × 32: several ParallelFor chunks.
  const [B, T, H, D] = [4, 300, 12, 32];

  it('equal reshape + transpose bit for bit, and invert each other', () => {
    mx.tidy(() => {
      const x = mx.random.normal([B, T, H * D], { key: mx.random.key(1) });
      const heads = mx.fused.splitHeads(x, H);
      expect(heads.shape).toEqual([B, H, T, D]);
      expect(bits(heads)).toEqual(bits(stockSplit(x, H)));
      const y = mx.random.normal([B, H, T, D], { key: mx.random.key(2) });
      const merged = mx.fused.mergeHeads(y);
      expect(merged.shape).toEqual([B, T, H * D]);
      expect(bits(merged)).toEqual(bits(stockMerge(y)));
      expect(bits(mx.fused.mergeHeads(heads))).toEqual(bits(x));
    });
  });

  it('vjp and jvp equal the stock ones', () => {
    mx.tidy(() => {
      const x = mx.random.normal([B, T, H * D], { key: mx.random.key(3) });
      const ct = mx.random.normal([B, H, T, D], { key: mx.random.key(4) });
      const [, [g]] = mx.vjp((a: mx.Array) => mx.fused.splitHeads(a, H), [x], [ct]);
      const [, [gs]] = mx.vjp((a: mx.Array) => stockSplit(a, H), [x], [ct]);
      expect(bits(g)).toEqual(bits(gs));
      const [, [gm]] = mx.vjp((a: mx.Array) => mx.fused.mergeHeads(a), [ct], [x]);
      const [, [gms]] = mx.vjp((a: mx.Array) => stockMerge(a), [ct], [x]);
      expect(bits(gm)).toEqual(bits(gms));
      const [, [t]] = mx.jvp((a: mx.Array) => mx.fused.splitHeads(a, H), [x], [x]);
      expect(bits(t)).toEqual(bits(stockSplit(x, H)));
    });
  });

  it('compiled equals uncompiled (value and gradient)', () => {
    mx.tidy(() => {
      const x = mx.random.normal([2, 40, 4 * 16], { key: mx.random.key(5) });
      const w = mx.random.normal([2, 4, 40, 16], { key: mx.random.key(6) });
      const loss = (a: mx.Array) => mx.sum(mx.multiply(mx.fused.mergeHeads(mx.multiply(mx.fused.splitHeads(a, 4), w)), a));
      const step = mx.valueAndGrad(loss);
      const [v, g] = step(x);
      const compiled = mx.compile(step);
      for (let i = 0; i < 2; i++) {
        const [cv, cg] = compiled(x);
        expect(cv.item()).toBe(v.item());
        expect(bits(cg as mx.Array)).toEqual(bits(g as mx.Array));
      }
    });
  });

  it('take non-contiguous inputs as they are, and other ranks', () => {
    mx.tidy(() => {
      const x = mx.transpose(mx.random.normal([H * D, T, B], { key: mx.random.key(7) }), [2, 1, 0]);
      expect(bits(mx.fused.splitHeads(x, H))).toEqual(bits(stockSplit(x, H)));
      // The key's gradient arrives as [B, H, D, T] swapped back to [B, H, T, D].
      const k = mx.swapaxes(mx.random.normal([B, H, D, T], { key: mx.random.key(9) }), -1, -2);
      expect(bits(mx.fused.mergeHeads(k))).toEqual(bits(stockMerge(k)));
      const x5 = mx.random.normal([2, 3, 7, 12], { key: mx.random.key(10) });
      const s5 = mx.fused.splitHeads(x5, 3);
      expect(s5.shape).toEqual([2, 3, 3, 7, 4]);
      expect(bits(s5)).toEqual(bits(mx.swapaxes(mx.reshape(x5, [2, 3, 7, 3, 4]), -3, -2)));
      expect(bits(mx.fused.mergeHeads(s5))).toEqual(bits(x5));
      const x2 = mx.random.normal([7, 12], { key: mx.random.key(11) });
      expect(bits(mx.fused.splitHeads(x2, 2))).toEqual(bits(mx.swapaxes(mx.reshape(x2, [7, 2, 6]), 0, 1)));
    });
  });

  it('other dtypes take the stock op chain', () => {
    mx.tidy(() => {
      const x = mx.astype(mx.random.normal([2, 5, 6], { key: mx.random.key(8) }), 'float16');
      const s = mx.fused.splitHeads(x, 3);
      expect(s.dtype).toBe('float16');
      expect(bits(mx.astype(s, 'float32'))).toEqual(bits(mx.astype(stockSplit(x, 3), 'float32')));
      expect(bits(mx.astype(mx.fused.mergeHeads(s), 'float32'))).toEqual(bits(mx.astype(x, 'float32')));
    });
  });

  it('errors name the op, the shape and the problem', () => {
    mx.tidy(() => {
      expect(() => mx.fused.splitHeads(mx.zeros([2, 3, 10]), 4)).toThrow(/fused\.splitHeads: expected x of shape \[\.\.\., tokens, heads·dims\] with the last axis divisible by 4 heads but received shape \(2,3,10\)/);
      expect(() => mx.fused.splitHeads(mx.zeros([2, 3, 8]), 0)).toThrow(/fused\.splitHeads: heads must be a positive integer but received 0/);
      expect(() => mx.fused.mergeHeads(mx.zeros([3, 8]))).toThrow(/fused\.mergeHeads: expected x of shape \[\.\.\., heads, tokens, dims\] but received shape \(3,8\)/);
    });
  });
});
