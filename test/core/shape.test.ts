// Shape ops against Python MLX references (scripts/fixtures/shape.py → test/fixtures/shape.json).
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface ShapeCase {
  op: string;
  label: string;
  inputs: Record<string, EncodedArray>;
  args: Record<string, any>;
  out: EncodedArray | EncodedArray[];
}

const fixture = loadFixture<ShapeCase>('shape');

type Runner = (inp: Record<string, mx.Array>, args: Record<string, any>) => mx.Array | mx.Array[];

// How each fixture op is replayed with the TS API (the fixture args use the TS parameter names).
const runners: Record<string, Runner> = {
  reshape: (i, a) => mx.reshape(i.a, a.shape),
  transpose: (i, a) => mx.transpose(i.a, a.axes),
  swapaxes: (i, a) => mx.swapaxes(i.a, a.axis1, a.axis2),
  moveaxis: (i, a) => mx.moveaxis(i.a, a.source, a.destination),
  expandDims: (i, a) => mx.expandDims(i.a, a.axis),
  squeeze: (i, a) => mx.squeeze(i.a, a.axis),
  flatten: (i, a) => mx.flatten(i.a, a.startAxis, a.endAxis),
  unflatten: (i, a) => mx.unflatten(i.a, a.axis, a.shape),
  concatenate: (i, a) => mx.concatenate([i.a, i.b], a.axis),
  stack: (i, a) => mx.stack([i.a, i.b], a.axis),
  split: (i, a) => mx.split(i.a, a.indicesOrSections, a.axis),
  pad: (i, a) => mx.pad(i.a, a.padWidth, a.mode, a.constantValues),
  tile: (i, a) => mx.tile(i.a, a.reps),
  repeat: (i, a) => mx.repeat(i.a, a.repeats, a.axis),
  broadcastTo: (i, a) => mx.broadcastTo(i.a ?? a.a, a.shape),
  broadcastArrays: (i) => mx.broadcastArrays(...Object.values(i)),
  tril: (i, a) => mx.tril(i.x, a.k),
  triu: (i, a) => mx.triu(i.x, a.k),
};

function check(c: ShapeCase): void {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v)]));
  const got = runners[c.op](inputs, c.args);
  const label = `${c.op} (${c.label})`;
  if (Array.isArray(c.out)) {
    expect(Array.isArray(got), `${label} returns a list`).toBe(true);
    const list = got as mx.Array[];
    expect(list.length, `${label} count`).toBe(c.out.length);
    list.forEach((g, k) => expectMatches(g, (c.out as EncodedArray[])[k], { label: `${label}[${k}]` }));
  } else {
    expectMatches(got as mx.Array, c.out, { label });
  }
}

describe('shape ops match Python MLX', () => {
  const ops = [...new Set(fixture.cases.map((c) => c.op))];
  it('covers every op in the fixture', () => {
    expect(ops.sort()).toEqual(Object.keys(runners).sort());
  });
  for (const op of ops) {
    it(op, () => {
      mx.tidy(() => {
        for (const c of fixture.cases.filter((x) => x.op === op)) check(c);
      });
    });
  }
});

describe('MxArray shape methods', () => {
  it('T, transpose, reshape, swapaxes, expandDims, squeeze, flatten agree with the functions', () => {
    const c = fixture.cases.find((x) => x.op === 'transpose' && x.label === 'default reverses')!;
    const a = fromFixture(c.inputs.a);
    expectMatches(a.T, c.out as EncodedArray, { label: 'a.T' });
    expectMatches(a.transpose(), c.out as EncodedArray, { label: 'a.transpose()' });
    const perm = fixture.cases.find((x) => x.op === 'transpose' && x.label === 'explicit axes')!;
    expectMatches(a.transpose(1, 0, 2), perm.out as EncodedArray, { label: 'a.transpose(1, 0, 2)' });
    expectMatches(a.transpose([1, 0, 2]), perm.out as EncodedArray, { label: 'a.transpose([1, 0, 2])' });
    const r = fixture.cases.find((x) => x.op === 'reshape' && x.label === 'to 2d')!;
    expectMatches(a.reshape(6, 4), r.out as EncodedArray, { label: 'a.reshape(6, 4)' });
    expectMatches(a.reshape([6, 4]), r.out as EncodedArray, { label: 'a.reshape([6, 4])' });
    const sw = fixture.cases.find((x) => x.op === 'swapaxes' && x.label === '0 and 2')!;
    expectMatches(a.swapaxes(0, 2), sw.out as EncodedArray, { label: 'a.swapaxes' });
    const ex = fixture.cases.find((x) => x.op === 'expandDims' && x.label === 'list')!;
    expectMatches(a.expandDims([0, 3]), ex.out as EncodedArray, { label: 'a.expandDims' });
    const fl = fixture.cases.find((x) => x.op === 'flatten' && x.label === 'range')!;
    expectMatches(a.flatten(1, 2), fl.out as EncodedArray, { label: 'a.flatten' });
    const sq = fixture.cases.find((x) => x.op === 'squeeze' && x.label === 'all')!;
    expectMatches(fromFixture(sq.inputs.a).squeeze(), sq.out as EncodedArray, { label: 'a.squeeze' });
  });
});
