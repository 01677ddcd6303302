/**
 * The mx ops against Python MLX: every case in test/fixtures/ops.json (scripts/fixtures/ops.py) is run
 * through the TS op of the same name; dtype, shape and values must match (1e-5 for float32).
 */
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

type FixtureArg = { array: EncodedArray } | { number: number | string } | { bool: boolean } | number | number[] | boolean | string | null;
interface OpCase {
  op: string;
  name: string;
  args: FixtureArg[];
  out: EncodedArray;
}

const fixture = loadFixture<OpCase>('ops');
const byOp = new Map<string, OpCase[]>();
for (const c of fixture.cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

// Every op this area binds; each must have reference cases.
const OPS = [
  'add', 'subtract', 'multiply', 'divide', 'floorDivide', 'remainder', 'power', 'maximum', 'minimum',
  'negative', 'square', 'reciprocal', 'abs', 'sign',
  'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'isclose', 'allclose', 'arrayEqual',
  'isnan', 'isinf', 'isfinite', 'logicalAnd', 'logicalOr', 'logicalNot', 'where',
  'exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'rsqrt', 'sin', 'cos', 'tan', 'tanh', 'sinh', 'cosh',
  'arcsin', 'arccos', 'arctan', 'arctan2', 'erf', 'erfinv', 'sigmoid', 'floor', 'ceil', 'round', 'clip',
  'softmax', 'logsumexp',
  'sum', 'mean', 'max', 'min', 'prod', 'var', 'std', 'argmax', 'argmin', 'all', 'any',
  'matmul', 'addmm', 'inner', 'outer',
  'cumsum', 'cumprod', 'cummax', 'cummin', 'sort', 'argsort', 'topk', 'partition', 'argpartition',
  'stopGradient', 'astype',
];

function decodeNumber(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number;
}

function decodeArg(a: FixtureArg): unknown {
  if (a !== null && typeof a === 'object' && !Array.isArray(a)) {
    if ('array' in a) return fromFixture(a.array);
    if ('number' in a) return decodeNumber(a.number);
    if ('bool' in a) return a.bool;
  }
  return a;
}

const ops = mx as unknown as Record<string, (...args: unknown[]) => mx.Array>;

describe('ops match Python MLX', () => {
  it(`covers every op with several cases (fixture from mlx ${fixture.mlx})`, () => {
    const missing = OPS.filter((op) => (byOp.get(op)?.length ?? 0) < 3);
    expect(missing).toEqual([]);
    const unknown = [...byOp.keys()].filter((op) => !OPS.includes(op));
    expect(unknown).toEqual([]);
  });

  for (const op of OPS) {
    it(op, () => {
      expect(typeof ops[op], `mx.${op} exists`).toBe('function');
      for (const c of byOp.get(op) ?? []) {
        mx.tidy(() => {
          const out = ops[op](...c.args.map(decodeArg));
          expectMatches(out, c.out, { label: `${op} (${c.name})` });
        });
      }
    });
  }
});

describe('op methods on mx.Array match the functions', () => {
  it('computes the same as mx.<op>', () => {
    mx.tidy(() => {
      const a = mx.array([[1.5, -2, 3], [0.25, 4, -1]]);
      const b = mx.array([[2, 1], [0.5, 3], [1, -1]]);
      const pairs: [mx.Array, mx.Array][] = [
        [a.add(2), mx.add(a, 2)], [a.subtract(a), mx.subtract(a, a)], [a.multiply(3), mx.multiply(a, 3)],
        [a.divide(2), mx.divide(a, 2)], [a.abs().power(2), mx.power(mx.abs(a), 2)], [a.matmul(b), mx.matmul(a, b)],
        [a.sum(1, true), mx.sum(a, 1, true)], [a.mean(), mx.mean(a)], [a.max(0), mx.max(a, 0)], [a.min(-1), mx.min(a, -1)],
        [a.argmax(1), mx.argmax(a, 1)], [a.argmin(), mx.argmin(a)], [a.abs().log(), mx.log(mx.abs(a))],
        [a.exp(), mx.exp(a)], [a.abs().sqrt(), mx.sqrt(mx.abs(a))], [a.square(), mx.square(a)],
      ];
      for (const [method, fn] of pairs) {
        expect(method.dtype).toBe(fn.dtype);
        expect(method.shape).toEqual(fn.shape);
        expect(mx.arrayEqual(method, fn, true).item()).toBe(true);
      }
    });
  });
});
