// mx.fused.linear (x·Wᵀ whose weight gradient is one GEMM in W's own rows): the same value and gradients as
// the stock matmul(x, transpose(W)) for 1-, 2- and 3-D inputs, compiled and not, the weight gradient's
// layout (the stock one is a transposed view that the optimizer copies), nn.Linear's use of it behind the
// fused kernels' switch, and the stock fallbacks.
import { afterEach, describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { native } from '../../src/core/binding.js';

afterEach(() => mx.setFusedKernelsEnabled(undefined));

const graph = (a: mx.Array) => native.fusedGraphPrimitives(a.handle);
const maxDiff = (a: mx.Array, b: mx.Array) => mx.tidy(() => mx.max(mx.abs(mx.subtract(a, b))).item() as number);
const bits = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);

describe('mx.fused.linear', () => {
  const w = mx.random.normal([5, 7], { key: mx.random.key(1) });
  const stock = (x: mx.Array, weight: mx.Array) => mx.matmul(x, mx.transpose(weight));

  it.each([[[7]], [[4, 7]], [[3, 4, 7]]])('x %j: value and both gradients equal the stock matmul(x, Wᵀ)', (shape) => {
    mx.tidy(() => {
      const x = mx.random.normal(shape, { key: mx.random.key(2) });
      const g = mx.random.normal([...shape.slice(0, -1), 5], { key: mx.random.key(3) });
      expect(maxDiff(mx.fused.linear(x, w), stock(x, w))).toBeLessThan(1e-5);
      const loss = (f: typeof stock) => (a: mx.Array, b: mx.Array) => mx.sum(mx.multiply(f(a, b), g));
      const [dx, dw] = mx.grad(loss((a, b) => mx.fused.linear(a, b)), [0, 1])(x, w) as mx.Array[];
      const [sx, sw] = mx.grad(loss(stock), [0, 1])(x, w) as mx.Array[];
      // The weight gradient is a matmul's own output, not a transposed view of one (read before evaluating).
      expect(graph(dw)[0]).toBe('Matmul');
      expect(graph(sw)[0]).toBe('Transpose');
      expect(maxDiff(dx, sx)).toBeLessThan(1e-5);
      expect(maxDiff(dw, sw)).toBeLessThan(1e-5);
    });
  });

  it('compiled equals uncompiled, bit for bit', () => {
    mx.tidy(() => {
      const x = mx.random.normal([3, 4, 7], { key: mx.random.key(4) });
      const step = (a: mx.Array, b: mx.Array) => mx.valueAndGrad((p: mx.Array, q: mx.Array) => mx.sum(mx.square(mx.fused.linear(p, q))), [0, 1])(a, b);
      const [value, grads] = step(x, w);
      const [cValue, cGrads] = mx.compile(step)(x, w);
      expect(cValue.item()).toBe(value.item());
      (cGrads as mx.Array[]).forEach((gr, i) => expect(bits(gr)).toEqual(bits((grads as mx.Array[])[i])));
    });
  });

  it('takes the stock matmul for float16 and names mismatched shapes', () => {
    mx.tidy(() => {
      const h = mx.astype(mx.random.normal([2, 7], { key: mx.random.key(5) }), 'float16');
      const y = mx.fused.linear(h, mx.astype(w, 'float16'));
      expect(y.dtype).toBe('float16');
      expect(mx.grad((a: mx.Array) => mx.sum(mx.astype(mx.fused.linear(h, a), 'float32')))(mx.astype(w, 'float16')).shape).toEqual([5, 7]);
      expect(() => mx.fused.linear(mx.ones([2, 6]), w)).toThrow(/\(2,6\).*\(7,5\)|shape/i);
    });
  });
});

describe('nn.Linear', () => {
  it('computes its weight gradient in the weight\'s rows with the fused kernels on, as a transposed view with them off', () => {
    mx.tidy(() => {
      const layer = new nn.Linear(6, 3);
      const x = mx.random.normal([2, 4, 6], { key: mx.random.key(6) });
      const weightGrad = () => {
        const grads = nn.valueAndGrad(layer, (input: mx.Array) => mx.sum(mx.square(layer.forward(input))))(x)[1] as { weight: mx.Array };
        return grads.weight;
      };
      mx.setFusedKernelsEnabled(true);
      const fused = weightGrad();
      expect(graph(fused)[0]).toBe('Matmul');
      mx.setFusedKernelsEnabled(false);
      const plain = weightGrad();
      expect(graph(plain)[0]).toBe('Transpose');
      expect(maxDiff(fused, plain)).toBeLessThan(1e-5);
    });
  });
});
