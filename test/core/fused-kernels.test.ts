/**
 * mx.fused.maskedSoftmax / attention / layerNorm / dropout / embedding (our fused CPU primitives) and the
 * nn layers built on them, against Python MLX (scripts/fixtures/fused_kernels.py): values and vjps, then
 * compiled against uncompiled, inputs large enough to be split across threads, non-contiguous inputs,
 * the stock fallback for other dtypes, and argument errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DtypeError, mx, nn } from '../../src/index.js';
import { native } from '../../src/core/binding.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case {
  label: string;
  op: 'maskedSoftmax' | 'attention' | 'layerNorm' | 'dropout' | 'nnDropout' | 'embedding';
  params: { scale?: number; eps?: number; p?: number; seed?: number };
  inputs: Record<string, EncodedArray>;
  cotangent?: EncodedArray;
  out: EncodedArray;
  out2?: EncodedArray;
  grads?: Record<string, EncodedArray>;
}
const fixture = loadFixture<Case>('fused-kernels');
const tol = { atol: 1e-5, rtol: 1e-5 };
const bits = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);

afterEach(() => mx.setFusedKernelsEnabled(undefined));

/** The case's op over its inputs, as a function of the inputs it has gradients for (fixture order). */
function opOf(c: Case, via: 'fused' | 'nn'): { fn: (...a: mx.Array[]) => mx.Array; args: string[]; fixed: Record<string, mx.Array> } {
  const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fromFixture(v)]));
  const args = Object.keys(c.grads ?? {});
  const fixed = Object.fromEntries(Object.entries(inputs).filter(([k]) => !args.includes(k)));
  const all = (a: mx.Array[]) => ({ ...fixed, ...Object.fromEntries(args.map((k, i) => [k, a[i]])) });
  const key = () => mx.random.key(c.params.seed ?? 0);
  const fns: Record<Case['op'], (i: Record<string, mx.Array>) => mx.Array> = {
    maskedSoftmax: (i) => mx.fused.maskedSoftmax(i.x, i.mask ?? null),
    attention: (i) => (via === 'nn' ? nn.scaledDotProductAttention(i.q, i.k, i.v, c.params.scale!, i.mask) : mx.fused.attention(i.q, i.k, i.v, c.params.scale!, i.mask)),
    layerNorm: (i) => mx.fused.layerNorm(i.x, i.weight, i.bias ?? null, c.params.eps!, { residual: i.residual }),
    dropout: (i) => mx.fused.dropout(i.x, c.params.p!, { key: key() }),
    nnDropout: () => { throw new Error('no op'); },
    embedding: (i) => mx.fused.embedding(i.weight, i.ids),
  };
  return { fn: (...a) => fns[c.op](all(a)), args, fixed: { ...inputs } };
}

describe('fused kernels match Python MLX', () => {
  for (const c of fixture.cases.filter((k) => k.op !== 'nnDropout')) {
    it(c.label, () => {
      mx.tidy(() => {
        const { fn, args, fixed } = opOf(c, 'fused');
        const primals = args.map((k) => fixed[k]);
        expectMatches(fn(...primals), c.out, { ...tol, label: `${c.label} value` });
        const [, grads] = mx.vjp(fn, primals, [fromFixture(c.cotangent!)]);
        args.forEach((k, i) => expectMatches(grads[i], c.grads![k], { ...tol, label: `${c.label} d${k}` }));
      });
    });
  }

  it('nn.Dropout draws the same masks from the seeded global key as mlx.nn.Dropout', () => {
    const c = fixture.cases.find((k) => k.op === 'nnDropout')!;
    mx.tidy(() => {
      const x = fromFixture(c.inputs.x);
      mx.random.seed(c.params.seed!);
      const layer = new nn.Dropout(c.params.p!);
      expectMatches(layer.forward(x), c.out, { atol: 0, rtol: 0, label: 'first draw' });
      expectMatches(layer.forward(x), c.out2!, { atol: 0, rtol: 0, label: 'second draw' });
    });
  });

  it('nn.LayerNorm, nn.Embedding and nn.scaledDotProductAttention give the fixture values', () => {
    mx.tidy(() => {
      const ln = fixture.cases.find((k) => k.label === 'layerNorm weight and bias')!;
      const norm = new nn.LayerNorm(50, { eps: ln.params.eps });
      norm.weight = fromFixture(ln.inputs.weight);
      norm.bias = fromFixture(ln.inputs.bias);
      expectMatches(norm.forward(fromFixture(ln.inputs.x)), ln.out, { ...tol, label: 'LayerNorm' });
      const em = fixture.cases.find((k) => k.op === 'embedding')!;
      const table = new nn.Embedding(40, 24);
      table.weight = fromFixture(em.inputs.weight);
      expectMatches(table.forward(fromFixture(em.inputs.ids)), em.out, { ...tol, label: 'Embedding' });
      const at = fixture.cases.find((k) => k.op === 'attention')!;
      const { fn, args, fixed } = opOf(at, 'nn');
      expectMatches(fn(...args.map((k) => fixed[k])), at.out, { ...tol, label: 'attention' });
    });
  });
});

describe('fused kernels under compile', () => {
  for (const c of fixture.cases.filter((k) => k.op !== 'nnDropout')) {
    it(`${c.label}: compiled equals uncompiled (value and gradient)`, () => {
      mx.tidy(() => {
        const { fn, args, fixed } = opOf(c, 'fused');
        const primals = args.map((k) => fixed[k]);
        const cot = fromFixture(c.cotangent!);
        const step = (...a: mx.Array[]) => mx.valueAndGrad((...b: mx.Array[]) => mx.sum(mx.multiply(fn(...b), cot)), args.map((_, i) => i))(...a);
        const [plainValue, plainGrads] = step(...primals);
        const compiled = mx.compile(step);
        for (let i = 0; i < 2; i++) {
          const [value, grads] = compiled(...primals);
          expect(value.item()).toBe(plainValue.item());
          (grads as mx.Array[]).forEach((g: mx.Array, j: number) => expect(bits(g)).toEqual(bits(plainGrads[j])));
        }
      });
    });
  }
});

describe('fused kernels over many threads and odd layouts', () => {
  it('maskedSoftmax over [8,4,128,128] with a padding mask equals softmax(x + mask), value and gradient', () => {
    mx.tidy(() => {
      const x = mx.multiply(mx.random.normal([8, 4, 128, 128], { key: mx.random.key(1) }), 4);
      const lengths = mx.array([128, 100, 64, 3, 128, 1, 77, 128]);
      const mask = mx.reshape(mx.where(mx.less(mx.arange(128), mx.expandDims(lengths, 1)), 0, -3.4028234663852886e38), [8, 1, 1, 128]);
      const g = mx.random.normal([8, 4, 128, 128], { key: mx.random.key(2) });
      const fused = (v: mx.Array) => mx.sum(mx.multiply(mx.fused.maskedSoftmax(v, mask), g));
      const stock = (v: mx.Array) => mx.sum(mx.multiply(mx.softmax(mx.add(v, mask), -1), g));
      const y = mx.fused.maskedSoftmax(x, mask);
      expect(mx.max(mx.abs(mx.subtract(y, mx.softmax(mx.add(x, mask), -1)))).item()).toBeLessThan(1e-5);
      // Masked keys get exactly 0, not e^(−87).
      expect(mx.max(mx.index(y, 3, ':', ':', '3:')).item()).toBe(0);
      expect(mx.max(mx.abs(mx.subtract(mx.grad(fused)(x), mx.grad(stock)(x)))).item()).toBeLessThan(1e-5);
    });
  });

  it('maskedSoftmax and layerNorm take transposed and broadcast inputs as they are', () => {
    mx.tidy(() => {
      const x = mx.random.normal([40, 3, 33], { key: mx.random.key(3) });
      const xt = mx.transpose(x, [1, 0, 2]);
      const maskT = mx.transpose(mx.random.normal([33, 40], { key: mx.random.key(4) }));
      expect(mx.max(mx.abs(mx.subtract(mx.fused.maskedSoftmax(xt, maskT), mx.softmax(mx.add(xt, maskT), -1)))).item()).toBeLessThan(1e-6);
      const w = mx.random.normal([33], { key: mx.random.key(5) });
      const b = mx.random.normal([33], { key: mx.random.key(6) });
      expect(mx.max(mx.abs(mx.subtract(mx.fused.layerNorm(xt, w, b, 1e-5), mx.fast.layerNorm(xt, w, b, 1e-5)))).item()).toBeLessThan(1e-5);
      const row = mx.broadcastTo(mx.random.normal([33], { key: mx.random.key(7) }), [5, 33]);
      expect(mx.max(mx.abs(mx.subtract(mx.fused.layerNorm(row, w, b, 1e-5), mx.fast.layerNorm(row, w, b, 1e-5)))).item()).toBeLessThan(1e-5);
    });
  });

  it('layerNorm over [4096, 384]: value and all three gradients equal mx.fast.layerNorm', () => {
    mx.tidy(() => {
      const x = mx.add(mx.multiply(mx.random.normal([4096, 384], { key: mx.random.key(8) }), 3), 1);
      const w = mx.random.normal([384], { key: mx.random.key(9) });
      const b = mx.random.normal([384], { key: mx.random.key(10) });
      const g = mx.random.normal([4096, 384], { key: mx.random.key(11) });
      const loss = (f: typeof mx.fast.layerNorm) => (a: mx.Array, ww: mx.Array, bb: mx.Array) => mx.sum(mx.multiply(f(a, ww, bb, 1e-12), g));
      const fused = mx.grad(loss(mx.fused.layerNorm), [0, 1, 2])(x, w, b);
      const stock = mx.grad(loss(mx.fast.layerNorm), [0, 1, 2])(x, w, b);
      (fused as mx.Array[]).forEach((t: mx.Array, i: number) => {
        const scale = mx.max(mx.abs(stock[i])).item() as number;
        expect(mx.max(mx.abs(mx.subtract(t, stock[i]))).item()).toBeLessThan(1e-5 * Math.max(1, scale));
      });
    });
  });

  it('layerNorm of x + residual over [4096, 384]: the value and gradients of mx.add then the fused norm, bit for bit', () => {
    mx.tidy(() => {
      const [x, r, g] = [8, 9, 11].map((k) => mx.random.normal([4096, 384], { key: mx.random.key(k) }));
      const w = mx.random.normal([384], { key: mx.random.key(12) });
      const b = mx.random.normal([384], { key: mx.random.key(13) });
      mx.eval(x, r, g, w, b);
      const loss = (f: (a: mx.Array, rr: mx.Array, ww: mx.Array, bb: mx.Array) => mx.Array) => (a: mx.Array, rr: mx.Array, ww: mx.Array, bb: mx.Array) => mx.sum(mx.multiply(f(a, rr, ww, bb), g));
      const fused = (a: mx.Array, rr: mx.Array, ww: mx.Array, bb: mx.Array) => mx.fused.layerNorm(a, ww, bb, 1e-12, { residual: rr });
      const added = (a: mx.Array, rr: mx.Array, ww: mx.Array, bb: mx.Array) => mx.fused.layerNorm(mx.add(a, rr), ww, bb, 1e-12);
      const graph = native.fusedGraphPrimitives(fused(x, r, w, b).handle);
      expect(graph).toContain('FusedLayerNorm');
      expect(graph).not.toContain('Add');
      expect(bits(fused(x, r, w, b))).toEqual(bits(added(x, r, w, b)));
      const gf = mx.grad(loss(fused), [0, 1, 2, 3])(x, r, w, b) as mx.Array[];
      const ga = mx.grad(loss(added), [0, 1, 2, 3])(x, r, w, b) as mx.Array[];
      gf.forEach((t, i) => expect(bits(t)).toEqual(bits(ga[i])));
      // Compiled (where MLX may donate x or r to the output) equals uncompiled.
      const compiled = mx.compile(mx.valueAndGrad(loss(fused), [0, 1]));
      const [v, [dx, dr]] = compiled(mx.add(x, 0), mx.add(r, 0), w, b) as [mx.Array, mx.Array[]];
      expect(v.item()).toBe(mx.sum(mx.multiply(added(x, r, w, b), g)).item());
      expect(bits(dx)).toEqual(bits(ga[0]));
      expect(bits(dr)).toEqual(bits(ga[1]));
      // A residual that broadcasts takes the add first, with its value.
      const row = mx.random.normal([384], { key: mx.random.key(14) });
      expect(bits(mx.fused.layerNorm(x, w, b, 1e-12, { residual: row }))).toEqual(bits(added(x, mx.broadcastTo(row, x.shape), w, b)));
    });
  });

  it('fused.add equals mx.add bit for bit (value, vjp, jvp, compiled), takes transposed inputs, and broadcasts through mx.add', () => {
    mx.tidy(() => {
      const [a, b, g] = [18, 19, 20].map((k) => mx.random.normal([300, 257], { key: mx.random.key(k) }));
      mx.eval(a, b, g);
      const sum = mx.fused.add(a, b);
      expect(native.fusedGraphPrimitives(sum.handle)).toEqual(['FusedAdd']);
      expect(bits(sum)).toEqual(bits(mx.add(a, b)));
      const [, grads] = mx.vjp((x: mx.Array, y: mx.Array) => mx.multiply(mx.fused.add(x, y), x), [a, b], [g]);
      const [, want] = mx.vjp((x: mx.Array, y: mx.Array) => mx.multiply(mx.add(x, y), x), [a, b], [g]);
      grads.forEach((t, i) => expect(bits(t)).toEqual(bits(want[i])));
      const [, [t]] = mx.jvp((x: mx.Array, y: mx.Array) => mx.fused.add(x, y), [a, b], [g, a]);
      expect(bits(t)).toEqual(bits(mx.add(g, a)));
      const compiled = mx.compile((x: mx.Array, y: mx.Array) => mx.fused.add(mx.multiply(x, 2), y));
      expect(bits(compiled(a, b) as mx.Array)).toEqual(bits(mx.add(mx.multiply(a, 2), b)));
      const at = mx.transpose(mx.random.normal([257, 300], { key: mx.random.key(21) }));
      expect(bits(mx.fused.add(at, b))).toEqual(bits(mx.add(at, b)));
      const row = mx.random.normal([257], { key: mx.random.key(22) });
      expect(native.fusedGraphPrimitives(mx.fused.add(a, row).handle)).toContain('Add');
      expect(bits(mx.fused.add(a, row))).toEqual(bits(mx.add(a, row)));
    });
  });

  it('nn.LayerNorm(x, residual): the fused pass while on, add then mx.fast while off, same values', () => {
    mx.tidy(() => {
      const norm = new nn.LayerNorm(64, { eps: 1e-12 });
      norm.weight = mx.random.normal([64], { key: mx.random.key(15) });
      const [x, r] = [16, 17].map((k) => mx.random.normal([5, 7, 64], { key: mx.random.key(k) }));
      mx.eval(x, r, norm.weight);
      const on = norm.forward(x, r);
      expect(native.fusedGraphPrimitives(on.handle)).toContain('FusedLayerNorm');
      expect(native.fusedGraphPrimitives(on.handle)).not.toContain('Add');
      mx.setFusedKernelsEnabled(false);
      const off = norm.forward(x, r);
      expect(native.fusedGraphPrimitives(off.handle)).toContain('Add');
      expect(mx.max(mx.abs(mx.subtract(on, off))).item()).toBeLessThan(1e-5);
      expect(() => norm.forward(x, [1, 2] as never)).toThrow(/residual/);
    });
  });

  it('dropout draws exactly mx.random.bernoulli’s mask from a key, over an odd size spanning chunks', () => {
    mx.tidy(() => {
      for (const shape of [[3, 40001], [1], [2, 2]]) {
        const x = mx.add(mx.random.normal(shape, { key: mx.random.key(12) }), 2);
        const key = mx.random.key(99);
        const mask = mx.random.bernoulli(0.75, shape, { key });
        const want = mx.multiply(mx.multiply(mask, x), 1 / 0.75);
        expect(bits(mx.fused.dropout(x, 0.25, { key }))).toEqual(bits(want));
        // Its gradient is the same masked scaling of the cotangent.
        const g = mx.grad((v: mx.Array) => mx.sum(mx.multiply(mx.fused.dropout(v, 0.25, { key }), x)))(x);
        expect(bits(g)).toEqual(bits(mx.multiply(mx.multiply(mask, x), 1 / 0.75)));
      }
    });
  });

  it('nn.Dropout draws the same numbers and leaves the global key where the stock path does', () => {
    mx.tidy(() => {
      const x = mx.random.normal([16, 64, 256], { key: mx.random.key(13) });
      const run = (fused: boolean) => {
        mx.setFusedKernelsEnabled(fused);
        mx.random.seed(21);
        const y = new nn.Dropout(0.1).forward(x);
        return [y, mx.random.getState()];
      };
      const [fusedY, fusedKey] = run(true);
      const [stockY, stockKey] = run(false);
      expect(mx.arrayEqual(fusedY, stockY).item()).toBe(true);
      expect(bits(fusedKey)).toEqual(bits(stockKey));
    });
  });

  it('embedding over a 5000-row table: lookup and gradient equal take and its scatter-add', () => {
    mx.tidy(() => {
      const table = mx.random.normal([5000, 96], { key: mx.random.key(14) });
      const ids = mx.astype(mx.random.randint(0, 5000, [32, 128], { key: mx.random.key(15) }), 'int32');
      const g = mx.random.normal([32, 128, 96], { key: mx.random.key(16) });
      expect(bits(mx.fused.embedding(table, ids))).toEqual(bits(mx.take(table, ids, 0)));
      const fused = mx.grad((t: mx.Array) => mx.sum(mx.multiply(mx.fused.embedding(t, ids), g)))(table);
      const stock = mx.grad((t: mx.Array) => mx.sum(mx.multiply(mx.take(t, ids, 0), g)))(table);
      expect(mx.max(mx.abs(mx.subtract(fused, stock))).item()).toBeLessThan(1e-5);
    });
  });

  it('other dtypes take the stock op chain (float16 equals the stock result)', () => {
    mx.tidy(() => {
      const x = mx.astype(mx.random.normal([4, 9], { key: mx.random.key(17) }), 'float16');
      expect(mx.fused.maskedSoftmax(x).dtype).toBe('float16');
      expect(mx.max(mx.abs(mx.subtract(mx.astype(mx.fused.maskedSoftmax(x), 'float32'), mx.astype(mx.softmax(x, -1), 'float32')))).item()).toBeLessThan(1e-3);
      const w = mx.ones([9], 'float16');
      const b = mx.zeros([9], 'float16');
      expect(bits(mx.astype(mx.fused.layerNorm(x, w, b, 1e-5), 'float32'))).toEqual(bits(mx.astype(mx.fast.layerNorm(x, w, b, 1e-5), 'float32')));
      const key = mx.random.key(3);
      expect(bits(mx.astype(mx.fused.dropout(x, 0.5, { key }), 'float32')))
        .toEqual(bits(mx.astype(mx.multiply(mx.multiply(mx.random.bernoulli(0.5, [4, 9], { key }), x), 2), 'float32')));
    });
  });
});

describe('fused kernel errors', () => {
  it('name the op, the argument and the problem', () => {
    mx.tidy(() => {
      const ints = mx.array([1, 2, 3], { dtype: 'int32' });
      expect(() => mx.fused.maskedSoftmax(ints)).toThrow(DtypeError);
      expect(() => mx.fused.maskedSoftmax(ints)).toThrow(/fused\.maskedSoftmax: expected a floating-point array for x but received int32 \[3\]/);
      expect(() => mx.fused.maskedSoftmax(mx.zeros([2, 3]), mx.zeros([4, 3]))).toThrow(/shape/);
      expect(() => mx.fused.dropout(mx.zeros([2]), 1)).toThrow(/fused\.dropout: the probability p must be in \[0, 1\) but received 1/);
      expect(() => mx.fused.dropout(mx.zeros([2]), 0.5, { key: mx.zeros([3], 'uint32') })).toThrow(/fused\.dropout: expected a uint32 key of shape \(2\)/);
      expect(() => mx.fused.embedding(mx.zeros([4, 2]), mx.zeros([3]))).toThrow(/fused\.embedding: expected integer ids but received float32/);
      expect(() => mx.fused.embedding(mx.zeros([4]), ints)).toThrow(/fused\.embedding: expected a 2-D table/);
      expect(() => mx.fused.layerNorm(mx.zeros([2, 3]), null, null, 1e-5, { streem: 0 } as never)).toThrow(/unknown option 'streem'/);
    });
  });
});
