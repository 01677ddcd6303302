/**
 * mx.fused.gelu / geluApprox (our fused CPU primitives) and nn.gelu / nn.geluApprox, against Python MLX's
 * mlx.nn.gelu / gelu_approx (scripts/fixtures/gelu.py): values, gradients, second derivatives, jvp,
 * non-contiguous input, the float16 fallback, and inputs long enough to be split across threads.
 */
import { describe, expect, it } from 'vitest';
import { DtypeError, mx, nn } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface Case {
  label: string;
  fn: 'gelu' | 'geluApprox';
  kind: 'value' | 'gradSum' | 'second' | 'vjp' | 'jvp' | 'transposed' | 'ramp';
  inputs: Record<string, EncodedArray>;
  out: EncodedArray;
  outSum?: EncodedArray;
  grad?: EncodedArray;
  gradSum?: EncodedArray;
}
const fixture = loadFixture<Case>('gelu');
const fused = { gelu: mx.fused.gelu, geluApprox: mx.fused.geluApprox };
const viaNn = { gelu: nn.gelu, geluApprox: nn.geluApprox };
const tol = { atol: 1e-5, rtol: 1e-5 };

function run(c: Case, fn: (x: mx.Array) => mx.Array): mx.Array {
  const x = c.inputs.x ? fromFixture(c.inputs.x) : mx.linspace(-10, 10, 50001);
  const sumOf = (v: mx.Array) => mx.sum(fn(v));
  switch (c.kind) {
    case 'value': return fn(x);
    case 'transposed': return fn(mx.transpose(x));
    case 'gradSum': return mx.grad(sumOf)(x);
    case 'second': return mx.grad((v: mx.Array) => mx.sum(mx.grad(sumOf)(v)))(x);
    case 'vjp': return mx.vjp((v) => fn(v), [x], [fromFixture(c.inputs.cotangent)])[1][0];
    case 'jvp': return mx.jvp((v) => fn(v), [x], [fromFixture(c.inputs.tangent)])[1][0];
    default: throw new Error(`unknown case kind ${c.kind}`);
  }
}

/** Every 50th element, as the ramp fixtures store them. */
function everyFiftieth(a: mx.Array): mx.Array {
  return mx.index(a, '::50');
}

describe.each([['mx.fused', fused], ['nn', viaNn]] as const)('%s gelu matches Python MLX', (_, fns) => {
  for (const c of fixture.cases) {
    it(c.label, () => {
      mx.tidy(() => {
        const fn = fns[c.fn];
        if (c.kind !== 'ramp') {
          expectMatches(run(c, fn), c.out, { ...tol, label: c.label });
          return;
        }
        // 50001 elements: several 16K-element chunks, the last one short, spread over the pool.
        const x = mx.linspace(-10, 10, 50001);
        const y = fn(x);
        expectMatches(everyFiftieth(y), c.out, { ...tol, label: `${c.label} values` });
        expectMatches(mx.sum(y), c.outSum!, { atol: 1e-3, rtol: 1e-5, label: `${c.label} sum` });
        const g = mx.grad((v: mx.Array) => mx.sum(mx.multiply(fn(v), mx.cos(v))))(x);
        expectMatches(everyFiftieth(g), c.grad!, { ...tol, label: `${c.label} grad` });
        expectMatches(mx.sum(g), c.gradSum!, { atol: 1e-3, rtol: 1e-5, label: `${c.label} grad sum` });
      });
    });
  }
});

describe('fused gelu under transforms', () => {
  const normal = fixture.cases.find((c) => c.label === 'gelu normal')!;

  it.each(['gelu', 'geluApprox'] as const)('%s: compiled equals uncompiled (value and gradient)', (name) => {
    mx.tidy(() => {
      const fn = fused[name];
      const x = fromFixture(normal.inputs.x);
      const step = (v: mx.Array) => mx.valueAndGrad((w: mx.Array) => mx.sum(mx.multiply(fn(w), w)))(v);
      const [plainLoss, plainGrad] = step(x);
      const compiled = mx.compile(step);
      for (let i = 0; i < 2; i++) {
        const [loss, grad] = compiled(x);
        expect(loss.item()).toBe(plainLoss.item());
        expect(Array.from(grad.toTypedArray())).toEqual(Array.from(plainGrad.toTypedArray()));
      }
    });
  });

  it('valueAndGrad of a float32 layer through nn.GELU matches the gradient of the fixture', () => {
    const gradCase = fixture.cases.find((c) => c.label === 'gelu normal grad of sum')!;
    mx.tidy(() => {
      const layer = new nn.GELU();
      const [value, grad] = mx.valueAndGrad((v: mx.Array) => mx.sum(layer.forward(v)))(fromFixture(normal.inputs.x));
      expectMatches(grad, gradCase.out, { ...tol, label: 'GELU grad' });
      expect(value.item()).toBeCloseTo(mx.sum(fromFixture(normal.out)).item() as number, 3);
    });
  });

  it('nn.gelu keeps Python MLX behaviour for integer input (promoted to float32)', () => {
    mx.tidy(() => {
      const y = nn.gelu(mx.array([-2, 0, 3], { dtype: 'int32' }));
      expect(y.dtype).toBe('float32');
      const edges = fixture.cases.find((c) => c.label === 'gelu edges')!;
      const want = fromFixture(edges.out).toTypedArray();
      const wantAt = (v: number) => Number(want[(edges.inputs.x.data as number[]).indexOf(v)]);
      const got = y.toTypedArray() as Float32Array;
      expect(got[0]).toBeCloseTo(wantAt(-2), 6);
      expect(got[1]).toBe(0);
      expect(got[2]).toBeCloseTo(wantAt(3), 6);
    });
  });
});

describe('fused gelu errors', () => {
  it('rejects a non-floating array with a DtypeError naming op, dtype and shape', () => {
    mx.tidy(() => {
      const ints = mx.array([1, 2, 3], { dtype: 'int32' });
      expect(() => mx.fused.gelu(ints)).toThrow(DtypeError);
      expect(() => mx.fused.gelu(ints)).toThrow(/fused\.gelu: expected a floating-point array for x but received int32 \[3\]/);
      expect(() => mx.fused.geluApprox(mx.array([true]))).toThrow(/fused\.geluApprox: .*bool/);
    });
  });

  it('rejects non-arrays and unknown options', () => {
    expect(() => mx.fused.gelu([1, 2] as unknown as mx.Array)).toThrow(/expected an mx\.array for fused\.gelu x/);
    expect(() => mx.fused.gelu(mx.array([1]), { streem: 0 } as never)).toThrow(/unknown option 'streem'/);
  });

  it('the native layer refuses integer input with an MLX_INVALID_ARGUMENT error, not an abort', async () => {
    const { native } = await import('../../src/core/binding.js');
    mx.tidy(() => {
      const ints = mx.array([1, 2], { dtype: 'int32' });
      expect(() => native.fusedGelu(ints.handle)).toThrow(/fused\.gelu: expected a floating-point x but received int32/);
    });
  });

  it.skipIf(mx.isAvailable('gpu'))('a GPU stream on the CPU-only build is an MlxError, not an abort', () => {
    mx.tidy(() => {
      expect(() => mx.fused.gelu(mx.array([1.5, -2]), { stream: 'gpu' })).toThrow(/fusedGelu: .*gpu/);
    });
  });

  it('handles 0-d and empty arrays', () => {
    mx.tidy(() => {
      expect(mx.fused.gelu(mx.zeros([0, 3])).shape).toEqual([0, 3]);
      const edges = fixture.cases.find((c) => c.label === 'gelu edges')!;
      const at = (edges.inputs.x.data as number[]).indexOf(0.5);
      expect(mx.fused.gelu(mx.array(0.5)).item()).toBeCloseTo(Number(fromFixture(edges.out).toTypedArray()[at]), 6);
    });
  });

  it('reports how many threads the fused kernels use', () => {
    expect(mx.fused.threads()).toBeGreaterThanOrEqual(1);
  });
});
