/**
 * An integer JS scalar meeting an integer array takes the array's dtype (weak typing), so one that dtype
 * cannot hold is refused, wherever the scalar enters: binary ops, where, clip, pad, slice updates, … .
 * Every (op, dtype, scalar) case and its outcome (the error, or the result) comes from Python MLX:
 * test/fixtures/scalar-overflow.json, made by scripts/fixtures/scalar_overflow.py.
 */
import { describe, expect, it } from 'vitest';
import { mx, MlxError } from '../../src/index.js';
import { expectMatches, loadFixture, type EncodedArray } from '../helpers/fixtures.js';

interface OverflowCase {
  op: string;
  dtype: mx.Dtype;
  scalar: number;
  error: string | null;
  out: EncodedArray | null;
}

const cond = () => mx.array([true, false, true]);

// The TS call for each fixture op (see OPS in the fixture script); `a` is [1, 2, 3] in the case's dtype.
const CALLS: Record<string, (a: mx.Array, s: number) => mx.Array> = {
  add: (a, s) => mx.add(a, s),
  addScalarFirst: (a, s) => mx.add(s, a),
  subtract: (a, s) => mx.subtract(a, s),
  multiply: (a, s) => mx.multiply(a, s),
  floorDivide: (a, s) => mx.floorDivide(a, s),
  remainder: (a, s) => mx.remainder(a, s),
  power: (a, s) => mx.power(a, s),
  powerScalarFirst: (a, s) => mx.power(s, a),
  maximum: (a, s) => mx.maximum(a, s),
  minimum: (a, s) => mx.minimum(a, s),
  equal: (a, s) => mx.equal(a, s),
  greaterEqual: (a, s) => mx.greaterEqual(a, s),
  arrayEqual: (a, s) => mx.arrayEqual(a, s),
  logicalAnd: (a, s) => mx.logicalAnd(a, s),
  where: (a, s) => mx.where(cond(), a, s),
  whereScalarFirst: (a, s) => mx.where(cond(), s, a),
  clipMin: (a, s) => mx.clip(a, s, null),
  clipMax: (a, s) => mx.clip(a, null, s),
  pad: (a, s) => mx.pad(a, 1, 'constant', s),
  sliceUpdate: (a, s) => mx.sliceUpdate(a, s, [1], [3]),
  atAdd: (a, s) => mx.at(a, 1).add(s),
  full: (a, s) => mx.full([2], s, a.dtype),
};


const fixture = loadFixture<OverflowCase>('scalar-overflow');

describe('integer scalars an integer array cannot hold are refused everywhere, as in Python MLX', () => {
  it('the fixture covers every mapped op', () => {
    expect(new Set(fixture.cases.map((c) => c.op))).toEqual(new Set(Object.keys(CALLS)));
    expect(fixture.cases.filter((c) => c.error).length).toBeGreaterThan(100);
  });

  for (const c of fixture.cases) {
    const label = `${c.op}(${c.dtype}, ${c.scalar}) ${c.error ? 'is refused' : 'matches Python'}`;
    it(label, () => {
      mx.tidy(() => {
        const a = mx.astype(mx.array([1, 2, 3]), c.dtype);
        if (c.error) {
          let caught: unknown;
          try {
            mx.eval(CALLS[c.op](a, c.scalar));
          } catch (err) {
            caught = err;
          }
          expect(caught, 'the call threw').toBeInstanceOf(MlxError);
          // Same words as Python's ValueError, prefixed with the op that received the scalar.
          expect((caught as Error).message).toContain(c.error);
          expect((caught as MlxError).code).toBe('MLX_INVALID_ARGUMENT');
        } else {
          expectMatches(CALLS[c.op](a, c.scalar), c.out!, { label });
        }
      });
    });
  }

  it('BigInt scalars get the same check', () => {
    mx.tidy(() => {
      expect(() => mx.maximum(mx.astype(mx.array([1]), 'int8'), 200n)).toThrow(/Converting 200 to int8 would result in overflow/);
      expect(() => mx.pad(mx.astype(mx.array([1]), 'uint16'), 1, 'constant', -1n)).toThrow(/Converting -1 to uint16/);
      expect(mx.add(mx.astype(mx.array([1]), 'int8'), 126n).toList()).toEqual([127]);
    });
  });

  it('a number beyond int64 is refused for a 64-bit integer array instead of wrapping', () => {
    mx.tidy(() => {
      expect(() => mx.add(mx.astype(mx.array([1]), 'int64'), 2 ** 63)).toThrow(/Converting 9223372036854776000 to int64 would result in overflow/);
      expect(() => mx.where(cond(), mx.astype(mx.array([1, 2, 3]), 'uint64'), 2 ** 64)).toThrow(/to uint64 would result in overflow/);
    });
  });
});
