import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface DataCase { dtype: mx.Dtype; values: (number | boolean)[]; out: EncodedArray; list: (number | boolean)[]; bits?: number[] }
const fixture = loadFixture<{ data: DataCase[]; strided: { input: EncodedArray; out: EncodedArray } }>('creation').cases[0];

/** The TypedArray class that carries `dtype`'s bytes in and out (half floats as their raw bits). */
const TYPED: Record<Exclude<mx.Dtype, 'complex64'>, new (values: ArrayLike<number> & ArrayLike<bigint>) => ArrayBufferView> = {
  bool: Uint8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array as never,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array as never, float16: Uint16Array,
  float32: Float32Array, float64: Float64Array, bfloat16: Uint16Array,
} as never;

/** The values as the TypedArray for `dtype` would hold them (BigInts for 64-bit integers, bits for halves). */
function raw(c: DataCase): unknown[] {
  if (c.bits) return c.bits;
  if (c.dtype === 'int64' || c.dtype === 'uint64') return c.list.map((v) => BigInt(v as number));
  if (c.dtype === 'bool') return c.list.map((v) => (v ? 1 : 0));
  return c.list as number[];
}

describe('data in and out for every dtype (Python MLX values)', () => {
  for (const c of fixture.data) {
    it(`${c.dtype}: mx.array(list) → toList, toTypedArray`, () => {
      const a = mx.array(c.values, c.dtype);
      expectMatches(a, c.out, { label: c.dtype, atol: 0, rtol: 0 });
      expect(a.toList()).toEqual(c.list);
      const out = a.toTypedArray();
      expect(out.constructor).toBe(TYPED[c.dtype as keyof typeof TYPED]);
      expect(Array.from(out as ArrayLike<unknown>)).toEqual(raw(c));
    });

    it(`${c.dtype}: TypedArray → array keeps the bytes`, () => {
      const Ctor = TYPED[c.dtype as keyof typeof TYPED];
      const input = new Ctor(raw(c) as never);
      const a = mx.array(input, { dtype: c.dtype, shape: [1, c.list.length] });
      expect(a.dtype).toBe(c.dtype);
      expect(a.shape).toEqual([1, c.list.length]);
      expect(a.toList()).toEqual([c.list]);
      expect(mx.reshape(a, [-1]).item !== undefined).toBe(true);
      expect(mx.take(a, 1, 1).item()).toEqual(c.list[1]);
    });
  }

  it('covers every dtype except complex64', () => {
    expect(new Set(fixture.data.map((c) => c.dtype))).toEqual(new Set(mx.DTYPES.filter((d) => d !== 'complex64')));
  });

  it('complex64 travels as interleaved float32 pairs; toList refuses it', () => {
    const pairs = Float32Array.from([1, -2, 0.5, 3]);
    const z = mx.array(pairs, { dtype: 'complex64', shape: [2] });
    expect(z.dtype).toBe('complex64');
    expect(Array.from(z.toTypedArray() as Float32Array)).toEqual(Array.from(pairs));
    expect(() => z.toList()).toThrow(/complex64 values have no JS number form/);
  });

  it('reads a transposed (non-contiguous) array in row-major order', () => {
    const a = fromFixture(fixture.strided.input);
    const t = mx.transpose(a);
    expectMatches(t, fixture.strided.out, { label: 'transpose', atol: 0, rtol: 0 });
    expect(Array.from(t.toTypedArray() as Float32Array)).toEqual(fixture.strided.out.data);
  });
});

describe('copy semantics', () => {
  it('copies TypedArray input: later writes to the source do not change the array', () => {
    const src = Float32Array.from([1, 2, 3]);
    const a = mx.array(src);
    src[0] = 99;
    expect(a.toList()).toEqual([1, 2, 3]);
  });

  it('toTypedArray shares MLX memory without a copy, and the view outlives dispose()', () => {
    const a = mx.array(Float32Array.from([1, 2, 3]));
    const first = a.toTypedArray() as Float32Array;
    const second = a.toTypedArray() as Float32Array;
    // Same bytes: a write through one view shows in the other (views are meant to be read-only).
    first[0] = 42;
    expect(second[0]).toBe(42);
    a.dispose();
    expect(Array.from(second)).toEqual([42, 2, 3]);
  });

  it('item() returns the one value and refuses larger arrays', () => {
    expect(mx.array(2.5).item()).toBe(2.5);
    expect(mx.array([[7]], 'int64').item()).toBe(7);
    expect(mx.array(true).item()).toBe(true);
    expect(() => mx.array([1, 2]).item()).toThrow(/item: expected an array with one element but the shape is \[2\]/);
  });

  it('toList builds nested lists from the shape', () => {
    const a = mx.reshape(mx.arange(6), [2, 1, 3]);
    expect(a.toList()).toEqual([[[0, 1, 2]], [[3, 4, 5]]]);
    expect(mx.zeros([0, 2]).toList()).toEqual([]);
  });

  it('rejects TypedArray data whose size does not fit the shape', () => {
    expect(() => mx.array(Float32Array.from([1, 2, 3]), { shape: [2, 2] })).toThrow(/fromTypedArray: data holds 12 bytes but shape \[2,2\]/);
    expect(() => mx.array(new DataView(new ArrayBuffer(4)) as never)).toThrow(/expected a numeric TypedArray for data/);
  });
});
