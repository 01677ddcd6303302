// Indexing ops and mx.index against Python MLX references (scripts/fixtures/indexing.py → test/fixtures/indexing.json).
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface IndexingCase {
  op: string;
  label: string;
  inputs: Record<string, EncodedArray>;
  args: Record<string, any>;
  out: EncodedArray;
  items?: any[];
}

const fixture = loadFixture<IndexingCase>('indexing');

type Runner = (inp: Record<string, mx.Array>, args: Record<string, any>, c: IndexingCase) => mx.Array;

const indexArrays = (i: Record<string, mx.Array>) => Object.keys(i).filter((k) => /^i\d$/.test(k)).sort().map((k) => i[k]);

/** The fixture's JSON form of a Python index tuple, as mx.index items. */
function toItems(items: any[], inputs: Record<string, mx.Array>): mx.IndexItem[] {
  return items.map((it) => {
    if (it && typeof it === 'object' && 'array' in it) return inputs[it.array];
    if (it && typeof it === 'object' && 'slice' in it) return it.slice;
    if (it && typeof it === 'object' && 'list' in it) return it.list;
    return it;
  });
}

const runners: Record<string, Runner> = {
  take: (i, a) => mx.take(i.a, i.indices ?? a.index, a.axis),
  takeAlongAxis: (i, a) => mx.takeAlongAxis(i.a, i.indices, a.axis),
  putAlongAxis: (i, a) => mx.putAlongAxis(i.a, i.indices, i.values ?? a.value, a.axis),
  slice: (i, a) => (i.start ? mx.slice(i.a, i.start, a.axes, a.sliceSize) : mx.slice(i.a, a.start, a.stop, a.strides)),
  sliceUpdate: (i, a) => (i.start ? mx.sliceUpdate(i.a, i.update, i.start, a.axes) : mx.sliceUpdate(i.a, i.update ?? a.value, a.start, a.stop, a.strides)),
  gather: (i, a) => mx.gather(i.a, indexArrays(i), a.axes, a.sliceSizes),
  scatter: (i, a) => mx.scatter(i.a, indexArrays(i), i.updates ?? a.value, a.axes),
  scatterAdd: (i, a) => mx.scatterAdd(i.a, indexArrays(i), i.updates ?? a.value, a.axes),
  index: (i, _a, c) => mx.index(i.a, ...toItems(c.items!, i)),
  // Gradient w.r.t. `a` of sum(f(a) * c), where indices are data (not traced) and checked for bounds.
  grad: (i, a) => {
    const f = (w: mx.Array) => (a.fn === 'take' ? mx.take(w, i.indices, 0) : mx.index(w, i.indices, '1:'));
    return mx.grad((w: mx.Array) => mx.sum(mx.multiply(f(w), i.c)))(i.a);
  },
  at: (i, a, c) => {
    const writer = i.a.at(...toItems(c.items!, i));
    const value = i.value ?? a.value;
    return a.mode === 'set' ? writer.set(value) : writer.add(value);
  },
};

function check(c: IndexingCase): void {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v)]));
  expectMatches(runners[c.op](inputs, c.args, c), c.out, { label: `${c.op} (${c.label})` });
}

describe('indexing ops match Python MLX', () => {
  const ops = [...new Set(fixture.cases.map((c) => c.op))];
  it('covers every op in the fixture', () => {
    expect(ops.sort()).toEqual(Object.keys(runners).sort());
  });
  for (const op of ops.filter((o) => o !== 'index' && o !== 'at')) {
    it(op, () => {
      mx.tidy(() => {
        for (const c of fixture.cases.filter((x) => x.op === op)) check(c);
      });
    });
  }
});

describe('mx.index and .at() reproduce Python a[...] expressions', () => {
  for (const c of fixture.cases.filter((x) => x.op === 'index')) {
    it(`${c.label}: a[${JSON.stringify(c.items)}]`, () => {
      mx.tidy(() => check(c));
    });
  }

  for (const c of fixture.cases.filter((x) => x.op === 'at')) {
    it(`at(${JSON.stringify(c.items)}).${c.args.mode} (${c.label})`, () => {
      mx.tidy(() => check(c));
    });
  }

  it('a.index(...) is the same as mx.index(a, ...)', () => {
    const c = fixture.cases.find((x) => x.op === 'index' && x.label === 'int slice newaxis mix')!;
    mx.tidy(() => {
      const a = fromFixture(c.inputs.a);
      expectMatches(a.index(...toItems(c.items!, {})), c.out, { label: 'a.index' });
    });
  });

  it('take under mx.compile, where the indices are traced and not bounds-checked', () => {
    const c = fixture.cases.find((x) => x.op === 'take' && x.label === 'axis 0 repeated')!;
    mx.tidy(() => {
      const compiled = mx.compile((a: mx.Array, idx: mx.Array) => mx.take(a, idx, 0));
      expectMatches(compiled(fromFixture(c.inputs.a), fromFixture(c.inputs.indices)), c.out, { label: 'compiled take' });
    });
  });

  it('does not dispose caller arrays and frees its temporaries', () => {
    const a = mx.reshape(mx.arange(12), [3, 4]);
    const i = mx.array([2, 0]);
    const out = mx.index(a, i, '1:3');
    expect(out.shape).toEqual([2, 2]);
    expect(i.toList()).toEqual([2, 0]);
    expect(a.shape).toEqual([3, 4]);
  });
});
