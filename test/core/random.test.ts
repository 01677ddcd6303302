import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

type Args = Record<string, unknown>;
interface Case { label: string; fn: string; args: Args; out: EncodedArray | EncodedArray[]; state?: EncodedArray }

const fixture = loadFixture<Case>('random');
// Same key → same bits: integers must be equal, floats equal to 1e-6.
const tol = { atol: 1e-6, rtol: 1e-6 };

const seedOf = (s: unknown): number | bigint => (typeof s === 'string' ? BigInt(s) : (s as number));
const keyOf = (a: Args) => mx.random.key(seedOf(a.seed));
const enc = (a: Args, k: string) => fromFixture(a[k] as EncodedArray);

function run(c: Case): mx.Array {
  const a = c.args;
  const r = mx.random;
  switch (c.fn) {
    case 'key': return r.key(seedOf(a.seed));
    case 'split': return a.num === undefined ? r.split(keyOf(a)) : r.split(keyOf(a), a.num as number);
    case 'uniform':
      return r.uniform(a.lowArray ? enc(a, 'lowArray') : (a.low as number | undefined) ?? 0, (a.high as number | undefined) ?? 1,
        a.shape as number[], { key: keyOf(a), ...(a.dtype ? { dtype: a.dtype as mx.Dtype } : {}) });
    case 'normal':
      return r.normal(a.shape as number[], {
        key: keyOf(a), ...(a.dtype ? { dtype: a.dtype as mx.Dtype } : {}),
        ...(a.loc !== undefined ? { loc: a.loc as number, scale: a.scale as number } : {}),
      });
    case 'truncatedNormal': return r.truncatedNormal(a.lower as number, a.upper as number, a.shape as number[], { key: keyOf(a) });
    case 'bernoulli': return r.bernoulli(a.pArray ? enc(a, 'pArray') : (a.p as number), a.shape as number[] | undefined, { key: keyOf(a) });
    case 'randint':
      return r.randint(a.low as number, a.high as number, a.shape as number[], { key: keyOf(a), ...(a.dtype ? { dtype: a.dtype as mx.Dtype } : {}) });
    case 'categorical':
      return r.categorical(enc(a, 'logits'), {
        key: keyOf(a), ...(a.axis !== undefined ? { axis: a.axis as number } : {}),
        ...(a.numSamples !== undefined ? { numSamples: a.numSamples as number } : {}),
        ...(a.shape !== undefined ? { shape: a.shape as number[] } : {}),
      });
    case 'gumbel': return r.gumbel(a.shape as number[], { key: keyOf(a) });
    case 'laplace': return r.laplace(a.shape as number[], { key: keyOf(a), loc: a.loc as number, scale: a.scale as number });
    case 'permutation':
      return a.n !== undefined ? r.permutation(a.n as number, { key: keyOf(a) }) : r.permutation(enc(a, 'x'), { key: keyOf(a), axis: a.axis as number });
    case 'multivariateNormal': return r.multivariateNormal(enc(a, 'mean'), enc(a, 'cov'), a.shape as number[], { key: keyOf(a) });
    default: throw new Error(`unknown fixture fn ${c.fn}`);
  }
}

describe('mx.random matches Python MLX for the same keys', () => {
  for (const c of fixture.cases.filter((x) => x.fn !== 'sequence')) {
    it(c.label, () => {
      mx.tidy(() => expectMatches(run(c), c.out as EncodedArray, { ...tol, label: c.label }));
    });
  }

  it('reproduces the global key sequence after seed()', () => {
    const c = fixture.cases.find((x) => x.fn === 'sequence')!;
    const out = c.out as EncodedArray[];
    mx.tidy(() => {
      mx.random.seed(c.args.seed as number);
      const draws = [mx.random.uniform(0, 1, [3]), mx.random.normal([2]), mx.random.randint(0, 100, [4]), mx.random.bernoulli(0.5, [4])];
      draws.forEach((d, i) => expectMatches(d, out[i], { ...tol, label: `draw ${i}` }));
      expectMatches(mx.random.getState(), c.state!, { label: 'state after the draws' });
    });
  });
});

describe('mx.random global state (getState/setState)', () => {
  it('getState reads the key without advancing it; setState replays the same draws', () => {
    mx.tidy(() => {
      mx.random.seed(123);
      const before = mx.random.getState();
      expect(mx.random.getState().toList()).toEqual(before.toList());
      const first = mx.random.normal([4]).toList();
      const after = mx.random.getState().toList();
      expect(after).not.toEqual(before.toList());
      mx.random.setState(before);
      expect(mx.random.normal([4]).toList()).toEqual(first);
      expect(mx.random.getState().toList()).toEqual(after);
    });
  });

  it('seed() resets the state to key(seed), and an explicit key leaves it alone', () => {
    mx.tidy(() => {
      mx.random.seed(9);
      expect(mx.random.getState().toList()).toEqual(mx.random.key(9).toList());
      mx.random.uniform(0, 1, [3], { key: mx.random.key(1) });
      expect(mx.random.getState().toList()).toEqual(mx.random.key(9).toList());
    });
  });

  it('a state survives a round trip through plain numbers (checkpoint style)', () => {
    mx.tidy(() => {
      mx.random.seed(77);
      mx.random.uniform(0, 1, [2]);
      const saved = mx.random.getState().toList() as number[];
      const next = mx.random.uniform(0, 1, [5]).toList();
      mx.random.seed(0);
      mx.random.setState(mx.array(Uint32Array.from(saved), { dtype: 'uint32' }));
      expect(mx.random.uniform(0, 1, [5]).toList()).toEqual(next);
    });
  });

  it('bits has the dtype of its width', () => {
    mx.tidy(() => {
      const k = mx.random.key(5);
      expect(mx.random.bits([3], 4, { key: k }).dtype).toBe('uint32');
      expect(mx.random.bits([3], 2, { key: k }).dtype).toBe('uint16');
      expect(mx.random.bits([3], 1, { key: k }).dtype).toBe('uint8');
    });
  });
});

describe('mx.random options', () => {
  it('a sampler on another stream gives the same values for the same key', () => {
    const s = mx.newStream('cpu');
    mx.tidy(() => {
      const k = mx.random.key(21);
      expect(mx.random.normal([4], { key: k, stream: s }).toList()).toEqual(mx.random.normal([4], { key: k }).toList());
    });
  });

  it('truncatedNormal and bernoulli take their shape from the parameters when none is given', () => {
    mx.tidy(() => {
      const k = mx.random.key(3);
      const t = mx.random.truncatedNormal(mx.zeros([2, 3]), mx.ones([3]), null, { key: k });
      expect(t.shape).toEqual([2, 3]);
      const vals = t.toList() as number[][];
      expect(vals.flat().every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(mx.random.bernoulli(mx.full([4, 2], 0.5), undefined, { key: k }).shape).toEqual([4, 2]);
    });
  });
});

describe('mx.random bad calls give clear errors', () => {
  const bad: [string, () => unknown, RegExp][] = [
    ['float key', () => mx.random.uniform(0, 1, [2], { key: mx.array([1.5, 2.5]) }), /key type uint32.*float32/],
    ['key of the wrong shape', () => mx.random.normal([2], { key: mx.array(Uint32Array.from([1, 2, 3]), { dtype: 'uint32' }) }), /key shape/],
    ['setState with a non-key', () => mx.random.setState(mx.array([1, 2])), /setState: expected a key of dtype uint32 and shape \[2\] but received int32\[2\]/i],
    ['setState with a number', () => mx.random.setState(5 as unknown as mx.Array), /expected an mx.array for random.setState key/],
    ['split of a non-array', () => mx.random.split([1, 2] as unknown as mx.Array), /random.split key/],
    ['negative seed', () => mx.random.seed(-1), /seed must be a non-negative/],
    ['fractional seed', () => mx.random.seed(1.5), /random.seed seed/],
    ['seed above uint64', () => mx.random.key(2n ** 64n), /outside the uint64 range/],
    ['misspelled option', () => mx.random.normal([2], { sacle: 2 } as never), /unknown option 'sacle'/],
    ['shape and numSamples together', () => mx.random.categorical(mx.array([[0, 1]]), { shape: [2], numSamples: 2 }), /at most one of shape and numSamples/],
    ['integer dtype for uniform', () => mx.random.uniform(0, 1, [2], { dtype: 'int32' }), /uniform/],
    ['negative shape', () => mx.random.normal([-2]), /negative dimension/],
    ['disposed key', () => { const k = mx.random.key(1); k.dispose(); return mx.random.normal([2], { key: k }); }, /already disposed/],
  ];
  for (const [label, call, message] of bad) {
    it(label, () => {
      expect(call).toThrow(message);
    });
  }
});
