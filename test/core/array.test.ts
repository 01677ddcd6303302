import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';

describe('mx.array', () => {
  it('infers dtype and shape from nested lists like mlx.core', () => {
    const a = mx.array([[1, 2, 3], [4, 5, 6]]);
    expect(a.dtype).toBe('int32');
    expect(a.shape).toEqual([2, 3]);
    expect(a.ndim).toBe(2);
    expect(a.size).toBe(6);
    expect(a.nbytes).toBe(24);
    expect(mx.array([1.5, 2]).dtype).toBe('float32');
    expect(mx.array([true, false]).dtype).toBe('bool');
    expect(mx.array(3).shape).toEqual([]);
  });

  it('round-trips every dtype through toList', () => {
    for (const dtype of ['bool', 'uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64', 'bfloat16'] as const) {
      const values = dtype === 'bool' ? [true, false, true] : [0, 1, 2];
      const a = mx.array(values, dtype);
      expect(a.dtype).toBe(dtype);
      expect(a.toList()).toEqual(values);
    }
  });

  it('keeps float16 under integer scalars (weak scalar typing)', () => {
    const h = mx.array([1, 2], 'float16');
    expect(mx.multiply(h, 2).dtype).toBe('float16');
    expect(mx.add(mx.array([1, 2]), 0.5).dtype).toBe('float32');
    expect(mx.add(mx.array([1, 2]), 3).dtype).toBe('int32');
  });

  it('rejects ragged lists with the path of the offending element', () => {
    expect(() => mx.array([[1, 2], [3]])).toThrow(/\[1\] is length 1 where length 2 was expected/);
  });

  it('throws a JS error naming the op and shapes instead of crashing', () => {
    expect(() => mx.add(mx.zeros([2, 3]), mx.zeros([4]))).toThrow(/add: .*\(2,3\) and \(4\)/);
  });

  it('refuses a disposed array with a clear error', () => {
    const a = mx.ones([2]);
    a.dispose();
    a.dispose();
    expect(() => mx.add(a, 1)).toThrow(/already disposed/);
  });
});

describe('mx.tidy', () => {
  it('disposes intermediates and keeps what is returned', () => {
    let inner: mx.Array | undefined;
    const out = mx.tidy(() => {
      inner = mx.ones([3]);
      return mx.add(inner, 1);
    });
    expect(out.toList()).toEqual([2, 2, 2]);
    expect(() => inner!.toList()).toThrow(/disposed/);
  });
});
