/** Function transforms against Python MLX (scripts/fixtures/transforms.py), finite differences and bad input. */
import { describe, expect, test, vi } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

type Case = Record<string, any> & { name: string };
const { cases } = loadFixture<Case>('transforms');
const fx = (name: string) => cases.find((c) => c.name === name)!;
const A = (e: EncodedArray) => fromFixture(e);

// The same functions as in scripts/fixtures/transforms.py.
const elementwise = (x: mx.Array) => mx.sum(mx.add(mx.multiply(mx.exp(x), mx.sin(x)), mx.multiply(x, x)));
const treeLoss = (p: any, x: mx.Array) => {
  let h = mx.tanh(mx.add(mx.matmul(x, p.w), p.b));
  h = mx.add(mx.multiply(h, p.layers[0].scale), p.layers[1].shift);
  return mx.mean(mx.square(h));
};
const inner = (x: mx.Array) => mx.multiply(mx.exp(mx.sin(x)), x);
const compiledFn = (x: mx.Array, y: mx.Array) => mx.add(mx.multiply(mx.exp(x), y), mx.tanh(mx.subtract(x, y)));

function treeParams(c: Case) {
  return { w: A(c.params.w), b: A(c.params.b), layers: [{ scale: A(c.params.scale) }, { shift: A(c.params.shift) }] };
}

describe('grad and valueAndGrad match Python MLX', () => {
  test('a function of one array', () => {
    const c = fx('elementwise');
    const [v, g] = mx.valueAndGrad(elementwise)(A(c.x));
    expectMatches(v, c.value, { label: 'value' });
    expectMatches(g, c.grad, { label: 'grad' });
    expectMatches(mx.grad(elementwise)(A(c.x)), c.grad, { label: 'grad()' });
  });

  test('nested parameter trees and argnums', () => {
    const c = fx('tree');
    const params = treeParams(c);
    const [v, g] = mx.valueAndGrad(treeLoss)(params, A(c.x));
    expectMatches(v, c.value, { label: 'value' });
    expectMatches(g.w, c.grad.w, { label: 'w' });
    expectMatches(g.b, c.grad.b, { label: 'b' });
    expectMatches(g.layers[0].scale, c.grad.scale, { label: 'layers.0.scale' });
    expectMatches(g.layers[1].shift, c.grad.shift, { label: 'layers.1.shift' });
    const [, [g0, g1]] = mx.valueAndGrad(treeLoss, [0, 1])(params, A(c.x));
    expectMatches(g0.w, c.grad.w, { label: 'argnums [0,1] w' });
    expectMatches(g1, c.gradX, { label: 'argnums [0,1] x' });
    expectMatches(mx.grad(treeLoss, { argnums: 1 })(params, A(c.x)), c.gradX, { label: 'argnums 1' });
    expectMatches(mx.grad(treeLoss, -1)(params, A(c.x)), c.gradX, { label: 'argnums -1' });
  });

  test('Maps of arrays are trees too', () => {
    const c = fx('tree');
    const p = treeParams(c);
    const asMap = new Map<string, unknown>([['w', p.w], ['b', p.b], ['layers', p.layers]]);
    const g = mx.grad((m: Map<string, any>, x: mx.Array) => treeLoss({ w: m.get('w'), b: m.get('b'), layers: m.get('layers') }, x))(asMap, A(c.x));
    expect(g).toBeInstanceOf(Map);
    expectMatches(g.get('w'), c.grad.w, { label: 'map w' });
    expectMatches(g.get('layers')[1].shift, c.grad.shift, { label: 'map layers.1.shift' });
  });

  test('auxiliary outputs: [loss, ...aux]', () => {
    const t = fx('tree');
    const c = fx('aux');
    const params = treeParams(t);
    const withAux = (p: any, x: mx.Array) => {
      const y = mx.matmul(x, p.w);
      return [mx.sum(mx.square(y)), { y, n: mx.sum(p.b), tag: 'kept' }] as const;
    };
    const [[loss, aux], g] = mx.valueAndGrad(withAux)(params, A(t.x));
    expectMatches(loss, c.loss, { label: 'loss' });
    expectMatches(aux.y, c.y, { label: 'aux.y' });
    expectMatches(aux.n, c.n, { label: 'aux.n' });
    expect(aux.tag).toBe('kept');
    expectMatches(g.w, c.gradW, { label: 'grad w' });
    expectMatches(g.b, c.gradB, { label: 'grad b (zero: only in aux)' });
  });
});

describe('vjp, jvp, checkpoint, compile match Python MLX', () => {
  test('vjp and jvp of a two-output function', () => {
    const c = fx('vjp_jvp');
    const pair = (x: mx.Array, y: mx.Array) => [mx.multiply(x, y), mx.add(mx.exp(x), y)];
    const [outs, vjps] = mx.vjp(pair, [A(c.a), A(c.b)], [A(c.ca), A(c.cb)]);
    outs.forEach((o, i) => expectMatches(o, c.outs[i], { label: `out ${i}` }));
    vjps.forEach((o, i) => expectMatches(o, c.vjps[i], { label: `vjp ${i}` }));
    const [outs2, jvps] = mx.jvp(pair, [A(c.a), A(c.b)], [A(c.ca), A(c.cb)]);
    outs2.forEach((o, i) => expectMatches(o, c.outs[i], { label: `jvp out ${i}` }));
    jvps.forEach((o, i) => expectMatches(o, c.jvps[i], { label: `jvp ${i}` }));
  });

  test('checkpoint gives the same values and gradients as the plain function', () => {
    const c = fx('checkpoint');
    const ck = mx.checkpoint(inner);
    expectMatches(ck(A(c.x)), c.value, { label: 'value' });
    expectMatches(mx.grad((x: mx.Array) => mx.sum(ck(x)))(A(c.x)), c.grad, { label: 'checkpointed grad' });
    expectMatches(mx.grad((x: mx.Array) => mx.sum(inner(x)))(A(c.x)), c.grad, { label: 'plain grad' });
    // Trees in and out.
    const tk = mx.checkpoint((p: { x: mx.Array }) => ({ y: inner(p.x) }));
    expectMatches(mx.grad((p: { x: mx.Array }) => mx.sum(tk(p).y))({ x: A(c.x) }).x, c.grad, { label: 'tree checkpoint grad' });
  });

  test('compiled equals Python, retraces for new shapes', () => {
    const c = fx('compile');
    const cf = mx.compile(compiledFn);
    expectMatches(cf(A(c.x), A(c.y)), c.out, { label: 'first call' });
    expectMatches(cf(A(c.x), A(c.y)), c.out, { label: 'cached call' });
    expectMatches(cf(A(c.x2), A(c.y2)), c.out2, { label: 'new shape' });
    expectMatches(compiledFn(A(c.x), A(c.y)), c.out, { label: 'uncompiled' });
    const shapeless = mx.compile(compiledFn, { shapeless: true });
    expectMatches(shapeless(A(c.x), A(c.y)), c.out, { label: 'shapeless' });
    expectMatches(shapeless(A(c.x2), A(c.y2)), c.out2, { label: 'shapeless new shape' });
  });

  test('compiled functions of trees with constants', () => {
    const c = fx('compile');
    const cf = mx.compile((p: { x: mx.Array; y: mx.Array }, scale: number) => ({ out: mx.multiply(compiledFn(p.x, p.y), scale) }));
    expectMatches(cf({ x: A(c.x), y: A(c.y) }, 1).out, c.out, { label: 'scale 1' });
    const doubled = cf({ x: A(c.x), y: A(c.y) }, 2).out;
    expectMatches(mx.divide(doubled, 2), c.out, { label: 'scale 2 (a new constant retraces)' });
  });

  const stepWith = (state: { w: mx.Array; count: mx.Array }, noise: boolean) => (x: mx.Array) => {
    const [loss, g] = mx.valueAndGrad((w: mx.Array) => mx.sum(mx.square(mx.multiply(w, x))))(state.w);
    const w = mx.subtract(state.w, mx.multiply(0.1, g));
    state.w = noise ? mx.add(w, mx.multiply(0.01, mx.random.normal([3]))) : w;
    state.count = mx.add(state.count, 1);
    return loss;
  };
  // Until native randomSetState stops evaluating its argument, a traced key cannot be stored (reported to the lead).
  const keyTraceable = (() => {
    const saved = mx.random.getState();
    try {
      mx.compile((k: mx.Array) => mx.random.setState(mx.add(k, 0)))(saved);
      return true;
    } catch {
      return false;
    } finally {
      mx.random.setState(saved);
    }
  })();
  for (const [name, noise] of [['compile_state', false], ['compile_random', true]] as const) {
    test.skipIf(noise && !keyTraceable)(`compile with captured state (inputs/outputs)${noise ? ' and the random key' : ''}`, () => {
      const c = fx(name);
      const state = { w: A(c.w0), count: mx.array(0, 'float32') };
      mx.random.seed(3);
      const captured = noise ? [state, mx.randomState] : state;
      const cstep = mx.compile(stepWith(state, noise), { inputs: captured, outputs: captured });
      const x = A(c.x);
      const losses = [cstep(x), cstep(x), cstep(x)];
      losses.forEach((l, i) => expectMatches(l, c.losses[i], { label: `loss ${i}` }));
      expectMatches(state.w, c.w, { label: 'w after 3 steps' });
      expectMatches(state.count, c.count, { label: 'count' });
    });
  }
});

describe('finite differences', () => {
  const central = (f: (x: mx.Array) => mx.Array, x: number[], i: number, h: number) => {
    const plus = [...x];
    const minus = [...x];
    plus[i] += h;
    minus[i] -= h;
    return (Number(f(mx.array(Float64Array.from(plus))).item()) - Number(f(mx.array(Float64Array.from(minus))).item())) / (2 * h);
  };
  const fns: [string, (x: mx.Array) => mx.Array][] = [
    ['sum(exp(x)·sin(x) + x²)', elementwise],
    ['mean(tanh(x)·x) / sum(exp(-x))', (x) => mx.divide(mx.mean(mx.multiply(mx.tanh(x), x)), mx.sum(mx.exp(mx.negative(x))))],
  ];
  for (const [name, f] of fns) {
    test(name, () => {
      const x = [0.3, -1.2, 0.7, 2.1];
      const g = mx.grad(f)(mx.array(Float64Array.from(x)));
      const got = g.toList() as number[];
      // MLX's CPU transcendentals are float32-accurate even in float64, so the step cannot be tiny.
      x.forEach((_, i) => expect(Math.abs(got[i] - central(f, x, i, 1e-3))).toBeLessThan(1e-3 * Math.max(1, Math.abs(got[i]))));
    });
  }
});

describe('errors', () => {
  test('a JS error thrown while tracing propagates as the same error, and MLX keeps working', () => {
    const boom = new Error('boom inside the traced function');
    const x = mx.array([1, 2, 3], 'float32');
    expect(() => mx.grad((_a: mx.Array) => { throw boom; })(x)).toThrow(boom);
    expect(() => mx.vjp(() => { throw boom; }, [x], [x])).toThrow(boom);
    expect(() => mx.jvp(() => { throw boom; }, [x], [x])).toThrow(boom);
    let fail = true;
    const cf = mx.compile((a: mx.Array) => {
      if (fail) throw boom;
      return mx.multiply(a, 2);
    });
    expect(() => cf(x)).toThrow(boom);
    fail = false;
    expect(cf(x).toList()).toEqual([2, 4, 6]);
    expect(mx.grad((a: mx.Array) => mx.sum(mx.multiply(a, a)))(x).toList()).toEqual([2, 4, 6]);
  });

  test('a compiled function that throws while traced leaves its captured state as it was', () => {
    const boom = new Error('boom with state');
    const w = mx.array([1, 2], 'float32');
    const state = { w };
    let fail = true;
    const step = mx.compile(() => {
      state.w = mx.multiply(state.w, 2);
      if (fail) throw boom;
    }, { inputs: state, outputs: state });
    expect(() => step()).toThrow(boom);
    expect(state.w).toBe(w);
    fail = false;
    step();
    expect(state.w.toList()).toEqual([2, 4]);
  });

  test('an error in a checkpoint recomputation (backward pass) propagates too', () => {
    const boom = new Error('boom in the recomputation');
    let calls = 0;
    const ck = mx.checkpoint((a: mx.Array) => {
      if (++calls === 2) throw boom;
      return mx.exp(a);
    });
    const x = mx.array([0.5, 1], 'float32');
    expect(() => mx.grad((a: mx.Array) => mx.sum(ck(a)))(x)).toThrow(boom);
    expect(calls).toBe(2);
    calls = 10;
    expectMatches(mx.grad((a: mx.Array) => mx.sum(ck(a)))(x), { dtype: 'float32', shape: [2], data: [Math.exp(0.5), Math.exp(1)] }, { label: 'after the error' });
  });

  test('transforms compose: grad of a compiled function, compiled grad', () => {
    const c = fx('elementwise');
    const compiled = mx.compile(elementwise);
    expectMatches(mx.grad(compiled)(A(c.x)), c.grad, { label: 'grad(compile(f))' });
    expectMatches(mx.compile(mx.grad(elementwise))(A(c.x)), c.grad, { label: 'compile(grad(f))' });
  });

  test('a non-function, a non-scalar loss, a non-array leaf, bad argnums', () => {
    const x = mx.array([1, 2], 'float32');
    expect(() => mx.grad(42 as any)).toThrow(/grad: expected a function but received 42 \(number\)/);
    expect(() => mx.valueAndGrad('f' as any)).toThrow(/expected a function/);
    expect(() => mx.compile(null as any)).toThrow(/compile: expected a function/);
    expect(() => mx.grad((a: mx.Array) => mx.multiply(a, 2))(x)).toThrow(/the loss must be a scalar array but has shape \[2\]/);
    expect(() => mx.grad((a: mx.Array) => 3 as any)(x)).toThrow(/must return a scalar mx.array or \[loss, \.\.\.aux\]/);
    expect(() => mx.grad((p: any) => mx.sum(p.layers[0].w))({ layers: [{ w: x, name: 'dense' }] })).toThrow(/at 'layers\.0\.name'.*'dense'/);
    expect(() => mx.grad((a: mx.Array) => mx.sum(a), 2)(x)).toThrow(/argnums 2 is out of range for a call with 1 argument/);
    expect(() => mx.compile((a: mx.Array) => a, { shapless: true } as any)).toThrow(/unknown option 'shapless'/);
    expect(() => mx.vjp((a: mx.Array) => a, [x], [1 as any])).toThrow(/cotangents/);
  });
});

test('without g++ on PATH, compilerAvailable() is false and compile warns once', () => {
  // MLX looks for g++ once per process, so only our check sees the changed PATH; the results are
  // evaluated after PATH is restored.
  const path = process.env.PATH;
  const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  let out: mx.Array[];
  try {
    process.env.PATH = '/nonexistent';
    expect(mx.compilerAvailable()).toBe(false);
    const cf = mx.compile((a: mx.Array) => mx.multiply(a, 3));
    out = [cf(mx.array([1], 'float32')), cf(mx.array([2], 'float32'))];
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/no g\+\+ on PATH/);
  } finally {
    process.env.PATH = path;
    warn.mockRestore();
  }
  expect(mx.compilerAvailable()).toBe(true);
  expect(out.map((o) => o.item())).toEqual([3, 6]);
});
