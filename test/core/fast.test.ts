import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case { label: string; fn: string; inputs: Record<string, EncodedArray>; opts: Record<string, unknown>; out: EncodedArray }
const fixture = loadFixture<Case>('fast');

function run(c: Case): mx.Array {
  const i = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v)]));
  const o = c.opts;
  switch (c.fn) {
    case 'layerNorm': return mx.fast.layerNorm(i.x, i.weight ?? null, i.bias ?? null, o.eps as number);
    case 'rmsNorm': return mx.fast.rmsNorm(i.x, i.weight ?? null, o.eps as number);
    case 'rope':
      return mx.fast.rope(i.x, o.dims as number, {
        traditional: o.traditional as boolean, base: o.base as number | null, scale: o.scale as number, offset: o.offset as number,
        ...(i.freqs ? { freqs: i.freqs } : {}),
      });
    case 'sdpa':
      return mx.fast.scaledDotProductAttention(i.q, i.k, i.v, { scale: o.scale as number, mask: i.mask ?? (o.mask as 'causal' | undefined) ?? null });
    case 'crossEntropy': return mx.fast.crossEntropy(i.logits, i.targets);
    default: throw new Error(`unknown fixture fn ${c.fn}`);
  }
}

describe('mx.fast matches Python MLX', () => {
  for (const c of fixture.cases) {
    it(c.label, () => {
      mx.tidy(() => expectMatches(run(c), c.out, { atol: 1e-5, rtol: 1e-5, label: c.label }));
    });
  }

  it('scaledDotProductAttention defaults the scale to 1/sqrt(head dim)', () => {
    const c = fixture.cases.find((x) => x.label === 'sdpa no mask')!;
    mx.tidy(() => {
      const [q, k, v] = ['q', 'k', 'v'].map((n) => fromFixture(c.inputs[n]));
      expectMatches(mx.fast.scaledDotProductAttention(q, k, v), c.out, { atol: 1e-5, label: 'default scale' });
    });
  });

  it('rope accepts the offset as an array', () => {
    const c = fixture.cases.find((x) => x.label === 'rope traditional=False')!;
    mx.tidy(() => {
      const x = fromFixture(c.inputs.x);
      const out = mx.fast.rope(x, 8, { base: 10000, scale: 1, offset: mx.array(3) });
      expectMatches(out, c.out, { atol: 1e-5, label: 'array offset' });
    });
  });
});

describe('mx.fast bad calls give clear errors', () => {
  const x = mx.ones([2, 4, 8]);
  const bad: [string, () => unknown, RegExp][] = [
    ['layerNorm weight of the wrong size', () => mx.fast.layerNorm(x, mx.ones([5]), null, 1e-5), /layer_?norm|LayerNorm/i],
    ['rmsNorm of a non-array', () => mx.fast.rmsNorm([1, 2] as unknown as mx.Array, null, 1e-5), /expected an mx.array for fast.rmsNorm x/],
    ['rmsNorm without eps', () => mx.fast.rmsNorm(x, null, undefined as unknown as number), /expected a number for fast.rmsNorm eps/],
    ['rope with base and freqs', () => mx.fast.rope(x, 8, { base: 10000, freqs: mx.ones([4]) }), /rope/i],
    ['rope with a fractional offset', () => mx.fast.rope(x, 8, { offset: 1.5 }), /expected an integer for fast.rope offset/],
    ['sdpa with a misspelled mask mode', () => mx.fast.scaledDotProductAttention(mx.ones([1, 1, 2, 4]), mx.ones([1, 1, 2, 4]), mx.ones([1, 1, 2, 4]), { mask: 'casual' as 'causal' }), /'causal'/],
    ['sdpa with mismatched head dims', () => mx.fast.scaledDotProductAttention(mx.ones([1, 1, 2, 4]), mx.ones([1, 1, 2, 5]), mx.ones([1, 1, 2, 5])), /scaled_dot_product_attention|ScaledDotProductAttention/i],
    ['unknown option', () => mx.fast.rope(x, 8, { tradtional: true } as never), /unknown option 'tradtional'/],
  ];
  for (const [label, call, message] of bad) {
    it(label, () => {
      expect(() => mx.eval(call() as mx.Array)).toThrow(message);
    });
  }
});
