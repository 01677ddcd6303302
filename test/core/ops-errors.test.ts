/**
 * Bad calls to the mx ops: each must throw a JS error of the right class whose message names the op and
 * the shapes/dtypes (or the bad value) involved, and the process must carry on working afterwards.
 */
import { describe, expect, it } from 'vitest';
import { mx, MlxError } from '../../src/index.js';

type ErrorClass = new (...args: never[]) => Error;

/** Runs `call`, expecting it to throw `cls` with a message matching every pattern. */
function expectError(call: () => unknown, cls: ErrorClass, ...patterns: RegExp[]): Error {
  let caught: unknown;
  try {
    mx.tidy(() => {
      call();
    });
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the call threw').toBeInstanceOf(cls);
  const message = (caught as Error).message;
  for (const p of patterns) expect(message).toMatch(p);
  return caught as Error;
}

const m23 = () => mx.zeros([2, 3]);

describe('ops reject bad input with clear errors', () => {
  it('non-broadcastable shapes name the op and both operands', () => {
    const err = expectError(() => mx.add(m23(), mx.zeros([4])), MlxError, /^add: /, /\(2,3\) and \(4\)/, /a: float32\[2,3\], b: float32\[4\]/);
    expect((err as MlxError).code).toBe('MLX_INVALID_ARGUMENT');
    expectError(() => mx.where(mx.zeros([3], 'bool'), m23(), mx.zeros([4])), MlxError, /^where: /, /condition: bool\[3\], x: float32\[2,3\], y: float32\[4\]/);
    expectError(() => mx.maximum(mx.zeros([2, 2], 'int32'), mx.zeros([3])), MlxError, /^maximum: /, /int32\[2,2\]/, /float32\[3\]/);
  });

  it('matmul-family shape and dtype mismatches name the shapes', () => {
    expectError(() => mx.matmul(m23(), mx.zeros([4, 5])), MlxError, /^matmul: /, /\(2,3\)/, /\(4,5\)/);
    expectError(() => mx.matmul(mx.zeros([2, 2], 'int32'), mx.zeros([2, 2], 'int32')), MlxError, /^matmul: /, /int32/);
    expectError(() => mx.addmm(mx.zeros([3]), m23(), m23()), MlxError, /^addmm: /, /\(2,3\)/, /c: float32\[3\]/);
    expectError(() => mx.inner(m23(), mx.zeros([4])), MlxError, /^inner: /, /a: float32\[2,3\], b: float32\[4\]/);
  });

  it('out-of-range axes name the op and the array', () => {
    expectError(() => mx.sum(m23(), 5), RangeError, /^sum: /, /axis 5/, /float32\[2,3\]/);
    expectError(() => mx.argmax(m23(), -3), RangeError, /^argmax: /, /-3/, /float32\[2,3\]/);
    expectError(() => mx.sort(m23(), 2), RangeError, /^sort: /, /Axis 2/, /float32\[2,3\]/);
    expectError(() => mx.cumsum(m23(), 3), RangeError, /^cumsum: /, /float32\[2,3\]/);
    expectError(() => mx.softmax(m23(), [0, 5]), RangeError, /^softmax: /, /float32\[2,3\]/);
    expectError(() => mx.var(m23(), [0, 0]), MlxError, /^var: /, /[Dd]uplicate axes/, /float32\[2,3\]/);
  });

  it('ranks beyond the axis length name k and the shape', () => {
    expectError(() => mx.topk(m23(), 5), MlxError, /^topk: /, /k=5/, /\(2,3\)/);
    expectError(() => mx.partition(m23(), 7), MlxError, /^partition: /, /kth 7/, /\(2,3\)/);
  });

  it('empty reductions MLX refuses name the empty shape', () => {
    expectError(() => mx.max(mx.zeros([0])), MlxError, /^max: /, /size 0/, /float32\[0\]/);
    expectError(() => mx.argmax(mx.zeros([0])), MlxError, /^argmax: /, /zero size/, /float32\[0\]/);
    expectError(() => mx.logsumexp(mx.zeros([0, 3]), 0), MlxError, /^logsumexp: /, /empty/, /float32\[0,3\]/);
  });

  it('unsupported dtypes name the op and the dtype', () => {
    const complex = () => mx.array(Float32Array.from([1, 2]), { dtype: 'complex64', shape: [1] });
    expectError(() => mx.floor(complex()), MlxError, /^floor: /, /complex64/);
    expectError(() => mx.remainder(complex(), 2), MlxError, /^remainder: /, /[Cc]omplex/, /complex64\[1\]/);
    expectError(() => mx.astype(m23(), 'float8' as mx.Dtype), TypeError, /expected one of bool, .* for dtype but received 'float8'/);
  });

  it('clip without any bound is refused', () => {
    expectError(() => mx.clip(m23(), null, null), MlxError, /^clip: /, /a_min and a_max/, /a: float32\[2,3\]/);
  });

  it('strings, objects, lists and undefined are not arrays', () => {
    expectError(() => mx.add('x' as never, 1), TypeError, /expected an mx.array or a number for add a but received 'x' \(string\)/);
    expectError(() => mx.exp({} as never), TypeError, /for exp a but received an instance of Object/);
    expectError(() => mx.sum(undefined as never), TypeError, /expected an mx.array for sum a but received undefined/);
    expectError(() => mx.multiply(m23(), [1, 2] as never), TypeError, /for multiply b but received an array of length 2/);
    expectError(() => mx.matmul(m23(), 2 as never), TypeError, /expected an mx.array for matmul b but received 2 \(number\)/);
    expectError(() => mx.isclose(m23(), null as never), TypeError, /for isclose b but received null/);
    expectError(() => mx.where(mx.array([true]), 'a' as never, 1), TypeError, /for where x but received 'a'/);
  });

  it('options of the wrong type are named with the array they apply to', () => {
    expectError(() => mx.sum(m23(), 1.5), TypeError, /expected an integer, an array of integers or null for sum axis but received 1.5 \(number\)/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.mean(m23(), 'rows' as never), TypeError, /for mean axis but received 'rows' \(string\)/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.max(m23(), [0, 0.5]), TypeError, /for max axis but received an array of length 2/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.argmax(m23(), [0, 1] as never), TypeError, /expected an integer or null for argmax axis/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.sum(m23(), 0, 'yes' as never), TypeError, /expected a boolean for sum keepdims but received 'yes'/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.round(m23(), 1.5), TypeError, /expected an integer for round decimals but received 1.5/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.var(m23(), 0, false, 0.5), TypeError, /expected an integer for var ddof/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.topk(m23(), 1.5), TypeError, /expected an integer for topk k/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.isclose(m23(), m23(), '1e-3' as never), TypeError, /expected a number for isclose rtol/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.cumsum(m23(), 0, 1 as never), TypeError, /expected a boolean for cumsum reverse/, /\(a: float32\[2,3\]\)$/);
    expectError(() => mx.addmm(m23(), m23(), m23(), NaN, 'x' as never), TypeError, /expected a number for addmm beta/, /\(a: float32\[2,3\]\)$/);
  });

  it('integer scalars the array dtype cannot hold are refused, as in MLX Python', () => {
    expectError(() => mx.add(mx.array([1], 'uint8'), 300), MlxError, /^add: Converting 300 to uint8 would result in overflow/, /a: uint8\[1\], b: number 300/);
    expectError(() => mx.subtract(-1, mx.array([1], 'uint32')), MlxError, /^subtract: Converting -1 to uint32/);
    expectError(() => mx.multiply(mx.array([1], 'int32'), 2 ** 40), MlxError, /^multiply: Converting 1099511627776 to int32/);
    expectError(() => mx.where(true, mx.array([1], 'int8'), 1000), MlxError, /^where: Converting 1000 to int8/, /x: int8\[1\]/);
    expectError(() => mx.clip(mx.array([1], 'int16'), -40000, null), MlxError, /^clip: Converting -40000 to int16/);
    expectError(() => mx.add(mx.array([1], 'int8'), 200n), MlxError, /^add: Converting 200 to int8/);
    expectError(() => mx.add(m23(), 2n ** 70n), RangeError, /^add: /, /BigInt outside the int64 range/);
  });

  it('disposed arrays are refused, naming the op and the operand', () => {
    const a = mx.ones([2, 2]);
    a.dispose();
    expectError(() => mx.sum(a), TypeError, /^sum: a is an mx.array that was already disposed/);
    expectError(() => mx.add(1, a), TypeError, /^add: b is an mx.array that was already disposed/);
    expectError(() => mx.where(a, 1, 2), TypeError, /^where: condition is an mx.array that was already disposed/);
    expectError(() => mx.matmul(mx.ones([2, 2]), a), TypeError, /^matmul: b is an mx.array that was already disposed/);
  });

  it('the process keeps working after every error above', () => {
    const out = mx.tidy(() => mx.sum(mx.multiply(mx.array([1, 2, 3]), 2)).item());
    expect(out).toBe(12);
  });
});
