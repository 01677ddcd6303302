/**
 * mx.fused.biasAdd / biasGrad (native/fused/bias.cc) and nn.Linear's fused bias path, against Python MLX
 * (scripts/fixtures/fused_bias.py): values and vjps; compiled equals uncompiled; a column sum split over
 * many row blocks and threads against mx.sum; the stock fallback for other dtypes; and the switch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mx, nn, ShapeError } from '../../src/index.js';
import { native } from '../../src/core/binding.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case {
  label: string;
  op: 'biasAdd' | 'linear';
  inputs: Record<string, EncodedArray>;
  cotangent: EncodedArray;
  out: EncodedArray;
  grads: Record<string, EncodedArray>;
}
const fixture = loadFixture<Case>('fused-bias');
const tol = { atol: 1e-5, rtol: 1e-5 };
const bits = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);

afterEach(() => mx.setFusedKernelsEnabled(undefined));

/** nn.Linear with the fixture's weight and bias. */
function linearOf(w: mx.Array, b: mx.Array): nn.Linear {
  const layer = new nn.Linear(w.shape[1], w.shape[0]);
  layer.weight = w;
  layer.bias = b;
  return layer;
}

function fnOf(c: Case): (...a: mx.Array[]) => mx.Array {
  if (c.op === 'biasAdd') return (x, b) => mx.fused.biasAdd(x, b);
  return (x, w, b) => linearOf(w, b).forward(x);
}

describe('fused bias matches Python MLX', () => {
  for (const c of fixture.cases) {
    it(c.label, () => {
      mx.tidy(() => {
        mx.setFusedKernelsEnabled(true);
        const names = Object.keys(c.inputs);
        const primals = names.map((k) => fromFixture(c.inputs[k]));
        const fn = fnOf(c);
        expectMatches(fn(...primals), c.out, { ...tol, label: `${c.label} value` });
        const [, grads] = mx.vjp(fn, primals, [fromFixture(c.cotangent)]);
        names.forEach((k, i) => expectMatches(grads[i], c.grads[k], { ...tol, label: `${c.label} d${k}` }));
      });
    });

    it(`${c.label}: compiled equals uncompiled (value and gradient)`, () => {
      mx.tidy(() => {
        mx.setFusedKernelsEnabled(true);
        const primals = Object.keys(c.inputs).map((k) => fromFixture(c.inputs[k]));
        const fn = fnOf(c);
        const cot = fromFixture(c.cotangent);
        const step = (...a: mx.Array[]) => mx.valueAndGrad((...b: mx.Array[]) => mx.sum(mx.multiply(fn(...b), cot)), a.map((_, i) => i))(...a);
        const [value, grads] = step(...primals);
        const compiled = mx.compile(step);
        for (let i = 0; i < 2; i++) {
          const [cv, cg] = compiled(...primals);
          expect(cv.item()).toBe(value.item());
          (cg as mx.Array[]).forEach((g, j) => expect(bits(g)).toEqual(bits((grads as mx.Array[])[j])));
        }
      });
    });
  }
});

describe('fused bias over many threads and odd layouts', () => {
  it('the column sum over [16, 64, 384] (several row blocks) equals mx.sum, deterministically', () => {
    mx.tidy(() => {
      const g = mx.random.normal([16, 64, 384], { key: mx.random.key(1) });
      const sum = mx.fused.biasGrad(g);
      expect(sum.shape).toEqual([384]);
      expect(mx.max(mx.abs(mx.subtract(sum, mx.sum(g, [0, 1])))).item()).toBeLessThan(2e-4);
      expect(bits(mx.fused.biasGrad(g))).toEqual(bits(sum));
      // Through the vjp of biasAdd, as Linear's backward runs it.
      const b = mx.zeros([384]);
      const [, [gx, gb]] = mx.vjp((x: mx.Array, c: mx.Array) => mx.fused.biasAdd(x, c), [g, b], [g]);
      expect(bits(gx)).toEqual(bits(g));
      expect(bits(gb)).toEqual(bits(sum));
    });
  });

  it('takes a transposed x as it is, and a second-order gradient through the column sum', () => {
    mx.tidy(() => {
      const x = mx.transpose(mx.random.normal([9, 50], { key: mx.random.key(2) }));
      const b = mx.random.normal([9], { key: mx.random.key(3) });
      expect(bits(mx.fused.biasAdd(x, b))).toEqual(bits(mx.add(x, b)));
      const g = mx.random.normal([50, 9], { key: mx.random.key(4) });
      const h = mx.grad((v: mx.Array) => mx.sum(mx.square(mx.fused.biasGrad(v))))(g);
      const hs = mx.grad((v: mx.Array) => mx.sum(mx.square(mx.sum(v, 0))))(g);
      expect(mx.max(mx.abs(mx.subtract(h, hs))).item()).toBeLessThan(1e-5);
    });
  });

  it('other dtypes take mx.add; a bias of the wrong shape is a ShapeError', () => {
    mx.tidy(() => {
      const x = mx.ones([3, 4], 'float16');
      const y = mx.fused.biasAdd(x, mx.ones([4], 'float16'));
      expect(y.dtype).toBe('float16');
      expect(native.fusedGraphPrimitives(y.handle)).not.toContain('FusedBiasAdd');
      expect(Array.from(mx.astype(y, 'float32').toTypedArray() as Float32Array)).toEqual(Array(12).fill(2));
      expect(() => mx.fused.biasAdd(mx.ones([3, 4]), mx.ones([5]))).toThrow(ShapeError);
      expect(() => mx.fused.biasAdd(mx.ones([3, 4]), mx.ones([5]))).toThrow(/bias of shape \[4\].*\[5\]/);
    });
  });
});

describe('nn.Linear and the fused-kernel switch', () => {
  it('takes FusedBiasAdd (and FusedBiasGrad in its gradient) when on, addmm when off, same values', () => {
    mx.tidy(() => {
      const layer = new nn.Linear(24, 40);
      const x = mx.random.normal([4, 7, 24], { key: mx.random.key(5) });
      const loss = (b: mx.Array) => { layer.bias = b; return mx.sum(mx.square(layer.forward(x))); };
      const bias = layer.bias!;
      mx.setFusedKernelsEnabled(true);
      const on = layer.forward(x);
      expect(native.fusedGraphPrimitives(on.handle)).toContain('FusedBiasAdd');
      expect(native.fusedGraphPrimitives(mx.grad(loss)(bias).handle)).toContain('FusedBiasGrad');
      mx.setFusedKernelsEnabled(false);
      layer.bias = bias;
      const off = layer.forward(x);
      const prims = native.fusedGraphPrimitives(off.handle);
      expect(prims.filter((n) => n.startsWith('Fused'))).toEqual([]);
      expect(prims).toContain('AddMM');
      expect(mx.max(mx.abs(mx.subtract(on, off))).item()).toBeLessThan(1e-5);
    });
  });
});
