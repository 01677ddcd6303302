/**
 * Every optimizer against Python MLX (scripts/fixtures/optim.py): 10 steps on one parameter tree with
 * one gradient sequence, gradients clipped by global norm, learning rates on schedules; then the final
 * parameters and every entry of the optimizer state must match.
 */
import { describe, expect, test } from 'vitest';
import { mx, optim } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

type Spec = { kind: string; [k: string]: any };
type Case = Record<string, any> & { name: string };
const { cases } = loadFixture<Case>('optim');
const setup = cases.find((c) => c.name === 'setup')!;

const tree = (flat: Record<string, EncodedArray>) => mx.treeUnflatten(Object.entries(flat).map(([k, v]) => [k, fromFixture(v)]));
const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function schedule(spec: Spec): optim.Schedule {
  switch (spec.kind) {
    case 'cosine': return optim.cosineDecay(spec.init, spec.steps, spec.end ?? 0);
    case 'linear': return optim.linearSchedule(spec.init, spec.end, spec.steps);
    case 'exponential': return optim.exponentialDecay(spec.init, spec.rate);
    case 'step': return optim.stepDecay(spec.init, spec.rate, spec.size);
    case 'join': return optim.joinSchedules(spec.schedules.map(schedule), spec.boundaries);
    default: throw new Error(spec.kind);
  }
}

function build(name: string, config: Record<string, unknown>): optim.Optimizer {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) opts[camel(k)] = v !== null && typeof v === 'object' && !Array.isArray(v) ? schedule(v as Spec) : v;
  const Ctor = (optim as unknown as Record<string, new (o: unknown) => optim.Optimizer>)[name];
  return new Ctor(opts);
}

function run(opt: optim.Optimizer, params: unknown, from: number, to: number): unknown {
  let p = params;
  for (let i = from; i < to; i++) {
    const [clipped] = optim.clipGradNorm(tree(setup.grads[i]), setup.maxNorm);
    p = opt.applyGradients(clipped, p);
    mx.eval(p, opt.state);
  }
  return p;
}

const flatMap = (t: unknown) => new Map(mx.treeFlatten(t) as [string, mx.Array][]);

describe('optimizers match Python MLX over 10 clipped, scheduled steps', () => {
  for (const c of cases.filter((x) => x.name === 'optimizer')) {
    test(`${c.optimizer} ${JSON.stringify(c.config)}`, () => {
      const opt = build(c.optimizer, c.config);
      const params = run(opt, tree(setup.params), 0, setup.grads.length);
      const got = flatMap(params);
      expect([...got.keys()].sort()).toEqual(Object.keys(c.params).sort());
      for (const [k, v] of Object.entries(c.params as Record<string, EncodedArray>)) expectMatches(got.get(k)!, v, { label: `param ${k}` });
      const state = flatMap(opt.state);
      expect([...state.keys()].sort()).toEqual(Object.keys(c.state).sort());
      for (const [k, v] of Object.entries(c.state as Record<string, EncodedArray>)) expectMatches(state.get(k)!, v, { label: `state ${k}` });
    });
  }
});

describe('state save and restore', () => {
  for (const c of cases.filter((x) => x.name === 'optimizer')) {
    test(`${c.optimizer} ${JSON.stringify(c.config)} continues identically from a restored state`, () => {
      const a = build(c.optimizer, c.config);
      const mid = run(a, tree(setup.params), 0, 5);
      // Save as flat named arrays (as a checkpoint file would) and rebuild into a fresh optimizer.
      const saved = mx.treeFlatten(a.state).map(([k, v]) => [k, mx.array(v as mx.Array)] as [string, mx.Array]);
      const straight = flatMap(run(a, mid, 5, 10));
      const b = build(c.optimizer, c.config);
      b.state = mx.treeUnflatten(saved) as Record<string, unknown>;
      const resumed = flatMap(run(b, mid, 5, 10));
      for (const [k, v] of straight) expect(resumed.get(k)!.toList(), k).toEqual(v.toList());
      for (const [k, v] of flatMap(a.state)) expect(flatMap(b.state).get(k)!.toList(), `state ${k}`).toEqual(v.toList());
    });
  }
});

describe('schedules and clipping match Python MLX', () => {
  for (const c of cases.filter((x) => x.name === 'schedule')) {
    test(`schedule ${JSON.stringify(c.spec)}`, () => {
      const s = schedule(c.spec);
      c.values.forEach((v: EncodedArray, i: number) => expectMatches(s(mx.array(BigInt(i) as unknown as number, 'uint64')), v, { label: `step ${i}` }));
    });
  }
  for (const c of cases.filter((x) => x.name.startsWith('clip'))) {
    test(c.name, () => {
      const grads = tree(c.grads);
      const [clipped, norm] = optim.clipGradNorm(grads, c.name === 'clip' ? 1.5 : 1000);
      expectMatches(norm, c.norm, { label: 'norm' });
      for (const [k, v] of flatMap(clipped)) expectMatches(v, c.clipped[k], { label: k, atol: v.dtype === 'float16' ? 1e-3 : undefined });
    });
  }
});

describe('use and errors', () => {
  const params = () => ({ w: mx.array([1, 2, 3], 'float32'), layers: [{ b: mx.array([0.5], 'float32') }] });
  const grads = () => ({ w: mx.array([0.1, 0.1, 0.1], 'float32'), layers: [{ b: mx.array([1], 'float32') }] });

  test('update() replaces arrays of a plain tree in place and of a model through update()', () => {
    const p = params();
    const opt = new optim.SGD({ learningRate: 1 });
    opt.update(p, grads());
    expect(p.w.toList()).toEqual([0.9, 1.9, 2.9].map((v) => Math.fround(v)));
    let received: any;
    const model = { parameters: () => params(), update: (t: unknown) => { received = t; } };
    opt.update(model, grads());
    expect((received.layers[0].b as mx.Array).toList()).toEqual([-0.5]);
  });

  test('a gradient tree that does not match the parameters names the path', () => {
    const opt = new optim.Adam({ learningRate: 0.1 });
    expect(() => opt.applyGradients({ w: grads().w, extra: mx.array([1]) }, params())).toThrow(/gradients have an array at 'extra' but the parameters have no entry/);
    expect(() => new optim.Adam({ learningRate: 0.1 }).applyGradients({ w: mx.array([1, 2], 'float32') }, params())).toThrow(/gradient at 'w' has shape \[2\] but the parameter has shape \[3\]/);
    expect(() => new optim.SGD({ learningRate: 0.1 }).applyGradients({ w: grads().w, layers: [{ b: 'x' }] }, params())).toThrow(/at 'layers\.0\.b' in the gradients but found 'x'/);
  });

  test('a schedule that yields NaN names the step', () => {
    const nanAt2 = (step: mx.Array) => mx.divide(1, mx.subtract(mx.astype(step, 'float32'), 2)).astype('float32');
    const bad = (step: mx.Array) => mx.multiply(nanAt2(step), 0);
    const opt = new optim.SGD({ learningRate: bad });
    opt.applyGradients(grads(), params());
    opt.applyGradients(grads(), params());
    expect(() => opt.applyGradients(grads(), params())).toThrow(/learning_rate schedule returned NaN at step 2/);
  });

  test('bad options are named', () => {
    expect(() => new optim.Adam({ learningRate: 0.1, beta: [0.9, 0.99] } as any)).toThrow(/unknown option 'beta'/);
    expect(() => new optim.Adam({ learningRate: 0.1, betas: [1.2, 0.9] })).toThrow(/beta1 should be in \[0, 1\)/);
    expect(() => new optim.SGD({ learningRate: 'fast' as any })).toThrow(/learning_rate but received 'fast'/);
    expect(() => new optim.SGD({ learningRate: 0.1, nesterov: true })).toThrow(/Nesterov/);
    expect(() => optim.cosineDecay(0.1, 0)).toThrow(/decaySteps must be greater than 0/);
    expect(() => optim.joinSchedules([optim.linearSchedule(0, 1, 2)], [3])).toThrow(/received 1 boundaries but expected 0/);
    expect(() => optim.clipGradNorm({ a: mx.array([1]), b: 2 }, 1)).toThrow(/at 'b'/);
  });

  test('the compiled training step with optimizer state as captured state matches the eager step', () => {
    const loss = (p: any) => mx.sum(mx.square(mx.subtract(p.w, 3)));
    const eagerP = params();
    const eager = new optim.AdamW({ learningRate: optim.cosineDecay(0.1, 5) });
    const model = params();
    const opt = new optim.AdamW({ learningRate: optim.cosineDecay(0.1, 5) });
    opt.init(model);
    const step = mx.compile(() => {
      const g = mx.grad(loss)(model);
      opt.update(model, g);
    }, { inputs: [model, opt.state], outputs: [model, opt.state] });
    for (let i = 0; i < 4; i++) {
      step();
      eager.update(eagerP, mx.grad(loss)(eagerP));
    }
    expectMatches(model.w, { dtype: 'float32', shape: [3], data: eagerP.w.toList() as number[] }, { label: 'compiled vs eager' });
    expect(Number(opt.step.item())).toBe(4);
  });
});
