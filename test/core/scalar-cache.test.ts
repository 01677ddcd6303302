/**
 * JS number scalars are shared through a small native table (native/wrap.cc, CachedNumberScalar). These
 * checks fail if an entry is reused where the value or the typing rule differs, if an overflow check is
 * skipped because the value was seen with another dtype, or if a shared scalar's buffer is ever written.
 */
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';

describe('shared number scalars', () => {
  it('the same number takes the dtype of the array beside it each time', () => {
    mx.tidy(() => {
      expect(mx.add(mx.array([1], 'int8'), 5).dtype).toBe('int8');
      expect(mx.add(mx.array([1], 'float16'), 5).dtype).toBe('float16');
      expect(mx.add(mx.array([1], 'float32'), 5).dtype).toBe('float32');
      expect(mx.add(mx.array([true]), 5).dtype).toBe('int32');
      expect(mx.abs(5).dtype).toBe('int32');
      expect(mx.abs(5.5).dtype).toBe('float32');
      expect(mx.add(mx.array([1], 'int8'), 5.5).dtype).toBe('float32');
      expect(mx.add(mx.array([1], 'int8'), 5).toList()).toEqual([6]);
    });
  });

  it('an overflow is refused even after the value was used with a wider dtype', () => {
    mx.tidy(() => {
      expect(mx.add(mx.array([1], 'int32'), 300).toList()).toEqual([301]);
      expect(() => mx.add(mx.array([1], 'uint8'), 300)).toThrow(/Converting 300 to uint8 would result in overflow/);
      expect(() => mx.add(mx.array([1], 'uint8'), 300)).toThrow(/overflow/);
      expect(mx.add(mx.array([1], 'int16'), 300).toList()).toEqual([301]);
    });
  });

  it('-0 and 0 stay apart (keyed by the bits, not by ==)', () => {
    mx.tidy(() => {
      const neg = mx.multiply(mx.array([1], 'float32'), -0).toList() as number[];
      const pos = mx.multiply(mx.array([1], 'float32'), 0).toList() as number[];
      expect(Object.is(neg[0], -0)).toBe(true);
      expect(Object.is(pos[0], 0)).toBe(true);
    });
  });

  it('a shared scalar is never overwritten by an op that reads it (no buffer donation)', () => {
    for (let i = 0; i < 8; i++) {
      mx.tidy(() => {
        // Shape [] float32 on both sides: the output could take an input's buffer if it were unshared.
        const out = mx.add(mx.multiply(mx.array(i), 1), 0.25);
        mx.eval(out);
        expect(out.item()).toBe(i + 0.25);
        expect(mx.add(0.25, mx.array(0)).item()).toBe(0.25);
      });
    }
  });

  it('more distinct values than the table holds still give the right results', () => {
    mx.tidy(() => {
      const x = mx.array([1], 'float32');
      for (let i = 0; i < 1000; i++) expect(mx.add(x, i / 8).item()).toBe(1 + i / 8);
    });
  });
});
