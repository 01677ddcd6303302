import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, loadFixture } from '../helpers/fixtures.js';

interface CreationCase { fn: string; args: unknown[]; dtype: mx.Dtype | null; cast?: boolean; out: EncodedArray }
const { creation } = loadFixture<{ creation: CreationCase[] }>('creation').cases[0];

function make(c: CreationCase): mx.Array {
  const d = c.dtype ?? undefined;
  const a = c.args as never[];
  switch (c.fn) {
    case 'zeros': return mx.zeros(a[0], d);
    case 'ones': return mx.ones(a[0], d);
    case 'full': return mx.full(a[0], a[1], d);
    case 'arange': return mx.arange(...(c.args as number[]), { dtype: d });
    case 'linspace': return mx.linspace(a[0], a[1], a[2], d);
    case 'eye': return mx.eye(a[0], a[1], a[2], d);
    case 'identity': return mx.identity(a[0], d);
    default: throw new Error(`fixture names an unknown function ${c.fn}`);
  }
}

describe('creation functions match Python MLX', () => {
  for (const c of creation) {
    const label = `${c.fn}(${c.args.map((x) => JSON.stringify(x)).join(', ')}${c.dtype ? `, ${c.dtype}` : ''})`;
    it(label, () => {
      expectMatches(make(c), c.out, { label, atol: 0, rtol: 0 });
    });
  }

  it('covers every dtype for zeros and ones', () => {
    const seen = new Set(creation.filter((c) => c.fn === 'zeros').map((c) => c.dtype));
    for (const d of mx.DTYPES) expect(seen.has(d), d).toBe(true);
  });
});

describe('creation argument errors', () => {
  it('names the bad argument', () => {
    expect(() => mx.zeros([2, -1])).toThrow(/zeros: shape has a negative dimension -1/);
    expect(() => mx.zeros([2.5])).toThrow(/expected an integer for shape/);
    expect(() => mx.zeros('3' as never)).toThrow(/expected an integer or an array of integers for shape/);
    expect(() => mx.ones([2], 'float8' as never)).toThrow(/expected one of bool, .* for dtype but received 'float8'/);
    expect(() => mx.arange()).toThrow(/arange: expected 1 to 3 numbers but received 0/);
    expect(() => mx.arange('a' as never)).toThrow(/expected a number for arange argument 0/);
    expect(() => mx.linspace(0, 1, 2.5)).toThrow(/linspace: expected an integer for num/);
    expect(() => mx.eye(-1)).toThrow(/eye/);
  });
});
