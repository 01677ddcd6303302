/**
 * The fused optimizer updates (native/fused_optim.cc) against Python MLX (scripts/fixtures/optim_fused.py):
 * 20 steps of AdamW/Adam/SGD/Lion, most with clip_grad_norm, on a tree whose large tensor spans several
 * kernel chunks. Then what the fused path must also get right: compile, the switch, in-place buffers,
 * frozen (LoRA-style) weights and gradient accumulation in the trainer's step, and a clear error under grad.
 */
import { afterEach, describe, expect, it, test } from 'vitest';
import { mx, optim } from '../../src/index.js';
import { fusedOptimizerUpdate, fusedSumOfSquares } from '../../src/core/fused-optim.js';
import { TrainStep } from '../../src/trainer/step.js';
import { type EncodedArray, expectMatches, loadFixture } from '../helpers/fixtures.js';
import { classificationLoss, sliceBatch, snapshot, syntheticBatch, tinyModel } from '../helpers/tiny-model.js';

type Setup = { steps: number; sample: number; maxNorm: number; shapes: Record<string, number[]>; normStep: number; mlxNorm: number; exactNorm: number };
type Case = { optimizer: string; config: Record<string, unknown>; clip: boolean; params: Record<string, EncodedArray>; state: Record<string, EncodedArray>; norms: number[] };
const [setup, ...cases] = loadFixture<Setup & Case>('optim_fused').cases as unknown as [Setup, ...Case[]];

afterEach(() => mx.setFusedKernelsEnabled(undefined));

// The same formulas as the fixture script, op for op, so the arrays are bit-identical to Python's.
function tree(fn: (i: mx.Array, k: number) => mx.Array): Record<string, unknown> {
  const flat = Object.entries(setup.shapes).map(([, shape], k) => fn(mx.arange(shape.reduce((a, b) => a * b, 1), { dtype: 'float32' }), k).reshape(shape));
  return { emb: flat[0], layers: [{ w: flat[1], b: flat[2] }, { w: flat[3] }], scale: flat[4] };
}
const params0 = () => tree((i, k) => mx.multiply(0.5, mx.cos(mx.add(mx.multiply(0.37, i), k))));
const smoothGradsAt = (t: number) => tree((i, k) => mx.multiply(0.3 + 0.1 * t, mx.sin(mx.add(mx.add(mx.multiply(0.013 * (k + 1), i), 0.7 * t), k))));
// Multiples of 1/8, whose squares sum exactly in float32 in any order (see the fixture script).
const gradsAt = (t: number) => tree((i, k) => mx.divide(mx.round(mx.multiply(8 * (0.3 + 0.1 * t), mx.sin(mx.add(mx.add(mx.multiply(0.013 * (k + 1), i), 0.7 * t), k)))), 8));

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const warmupCosine = () => optim.joinSchedules([optim.linearSchedule(0, 0.01, 4), optim.cosineDecay(0.01, 16, 0.001)], [4]);

function build(c: Case): optim.Optimizer {
  const opts: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.config)) opts[camel(k)] = v === 'warmup_cosine' ? warmupCosine() : v;
  return new (optim as unknown as Record<string, new (o: unknown) => optim.Optimizer>)[c.optimizer](opts);
}

/** One clipped (or plain) update, the way the trainer does it: the clip coefficient goes in as gradScale. */
function step(opt: optim.Optimizer, params: unknown, grads: unknown, clip: boolean): [unknown, mx.Array | undefined] {
  if (!clip) return [opt.applyGradients(grads, params), undefined];
  const [scale, norm] = optim.clipScale(grads, setup.maxNorm);
  return [opt.applyGradients(grads, params, { gradScale: scale }), norm];
}

function sampled(t: unknown): Map<string, mx.Array> {
  return new Map((mx.treeFlatten(t) as [string, mx.Array][]).map(([k, v]) => {
    if (v.size <= 1000) return [k, v];
    const every = Array.from(v.toTypedArray() as Float32Array).filter((_, i) => i % setup.sample === 0);
    return [k, mx.array(Float32Array.from(every))];
  }));
}

describe('fused optimizer updates match Python MLX over 20 steps (1e-6)', () => {
  for (const c of cases) {
    for (const fused of [true, false]) {
      test(`${c.optimizer} ${JSON.stringify(c.config)}${c.clip ? ' + clip_grad_norm' : ''} (fused ${fused ? 'on' : 'off'})`, () => {
        mx.setFusedKernelsEnabled(fused);
        const opt = build(c);
        let params: unknown = params0();
        const norms: number[] = [];
        for (let t = 0; t < setup.steps; t++) {
          const [next, norm] = step(opt, params, gradsAt(t), c.clip);
          mx.eval(next, opt.state, norm ?? []);
          params = next;
          if (norm) norms.push(norm.item() as number);
        }
        const got = sampled(params);
        for (const [k, v] of Object.entries(c.params)) expectMatches(got.get(k)!, v, { atol: 1e-6, rtol: 0, label: `param ${k}` });
        const { step: count, learning_rate: _lr, ...rest } = opt.state;
        expect(Number(count.item())).toBe(setup.steps);
        const state = sampled(rest);
        expect([...state.keys()].sort()).toEqual(Object.keys(c.state).sort());
        for (const [k, v] of Object.entries(c.state)) expectMatches(state.get(k)!, v, { atol: 1e-6, rtol: 0, label: `state ${k}` });
        norms.forEach((n, i) => expect(n, `norm at step ${i}`).toBe(c.norms[i]));
      });
    }
  }
});

describe('the fused update in use', () => {
  it('a compiled update (scheduled learning rate, clip, state captured) equals the eager one', () => {
    const run = (compiled: boolean) => {
      const opt = new optim.AdamW({ learningRate: warmupCosine(), weightDecay: 0.05, biasCorrection: true });
      const params = params0();
      opt.init(params);
      const apply = (grads: unknown) => {
        const [scale, norm] = optim.clipScale(grads, setup.maxNorm);
        opt.update(params, grads, { gradScale: scale });
        return [norm];
      };
      const fn = compiled ? mx.compile(apply, { inputs: [params, opt.state], outputs: [params, opt.state] }) : apply;
      for (let t = 0; t < 6; t++) mx.eval(fn(gradsAt(t)), params, opt.state);
      return sampled(params);
    };
    const eager = run(false);
    for (const [k, v] of run(true)) expect(Array.from(v.toTypedArray() as Float32Array), k).toEqual(Array.from(eager.get(k)!.toTypedArray() as Float32Array));
  });

  it('a tree of more parameters than one primitive takes updates every one of them in place (compiled, = stock chain)', () => {
    // 19 arrays: the update runs as primitives of 8 parameters (8 + 8 + 3), each parameter with its own states.
    const shapes = Array.from({ length: 19 }, (_, k) => (k % 3 === 0 ? [k + 2, 5] : [3 * k + 1]));
    const grad = (t: number) => shapes.map((shape, k) => mx.sin(mx.add(mx.multiply(0.1 * (k + 1), mx.arange(shape.reduce((a, b) => a * b, 1), { dtype: 'float32' })), t)).reshape(shape));
    const run = (fused: boolean, make: () => optim.Optimizer) => {
      mx.setFusedKernelsEnabled(fused);
      const params = { w: shapes.map((shape, k) => mx.multiply(0.5, mx.cos(mx.add(mx.arange(shape.reduce((a, b) => a * b, 1), { dtype: 'float32' }), k))).reshape(shape)) };
      const opt = make();
      opt.init(params);
      const apply = mx.compile((g: unknown) => opt.update(params, { w: g }), { inputs: [params, opt.state], outputs: [params, opt.state] });
      for (let t = 0; t < 4; t++) mx.eval(apply(grad(t)), params, opt.state);
      return params.w.map((a) => Array.from(a.toTypedArray() as Float32Array));
    };
    for (const make of [() => new optim.AdamW({ learningRate: 0.01, weightDecay: 0.05 }), () => new optim.SGD({ learningRate: 0.1 }), () => new optim.Lion({ learningRate: 0.01 })]) {
      const fused = run(true, make);
      const stock = run(false, make);
      fused.forEach((values, k) => values.forEach((v, i) => expect(v, `parameter ${k}[${i}]`).toBeCloseTo(stock[k][i], 5)));
    }
  });

  it('the global norm of smooth gradients is the exact one to 1e-6 (Python MLX sums in float32)', () => {
    mx.setFusedKernelsEnabled(true);
    const norm = optim.clipScale(smoothGradsAt(setup.normStep), setup.maxNorm)[1].item() as number;
    expect(Math.abs(norm - setup.exactNorm) / setup.exactNorm).toBeLessThan(1e-6);
    expect(Math.abs(norm - setup.mlxNorm) / setup.mlxNorm).toBeLessThan(1e-5);
  });

  it('the clip takes one fused sum of squares when on and the per-array op chain when off', () => {
    // 1e8 plus 3000 ones: float32 additions one array at a time lose every 1; the fused pass sums in double.
    const grads = [mx.array([1e4], 'float32'), ...Array.from({ length: 3000 }, () => mx.array([1], 'float32'))];
    mx.setFusedKernelsEnabled(true);
    expect(optim.clipScale(grads, 1)[1].item()).toBeCloseTo(Math.sqrt(1e8 + 3000), 2);
    expect(fusedSumOfSquares(grads).item()).toBe(1e8 + 3000);
    mx.setFusedKernelsEnabled(false);
    expect(optim.clipScale(grads, 1)[1].item()).toBe(1e4);
  });

  it('is not differentiable: under grad it says so, and the stock chain (switch off) differentiates', () => {
    const f = (p: mx.Array) => {
      const opt = new optim.Adam({ learningRate: 0.1 });
      const out = opt.applyGradients({ p: mx.multiply(p, 2) }, { p }) as { p: mx.Array };
      return mx.sum(out.p);
    };
    const p = mx.array([0.5, -1, 2]);
    mx.setFusedKernelsEnabled(true);
    expect(() => mx.eval(mx.grad(f)(p))).toThrow(/FusedOptimizerUpdate: optimizer updates are not differentiable/);
    mx.setFusedKernelsEnabled(false);
    expect((mx.grad(f)(p) as mx.Array).shape).toEqual([3]);
  });

  it('names what is wrong with its inputs, and leaves other dtypes to the stock chain', () => {
    const p = mx.array([1, 2], 'float32');
    const half = mx.array([1, 2], 'float16');
    const scalars = [mx.array(0.1), mx.array(1), mx.array(1)] as const;
    expect(() => fusedOptimizerUpdate({ kind: 'adam' }, ...scalars, [half], [p], [p, p])).toThrow(/expected a float32 array for parameter 0 but received float16/);
    expect(() => fusedOptimizerUpdate({ kind: 'adam' }, ...scalars, [p], [mx.array([1, 2, 3], 'float32')], [p, p])).toThrow(/gradient 0 has shape \(3\) but its parameter has shape \(2\)/);
    expect(() => fusedOptimizerUpdate({ kind: 'adam' }, ...scalars, [p], [p], [p])).toThrow(/one gradient and 2 state arrays per parameter but received 1 parameters, 1 gradients and 1 states/);
    const opt = new optim.AdamW({ learningRate: 0.1 });
    expect(() => opt.applyGradients({ w: p }, { w: p }, { gradScale: 0.5 as unknown as mx.Array })).toThrow(/expected an mx.array for gradScale but received 0.5/);
    expect(() => opt.applyGradients({ w: p }, { w: p }, { gradscale: mx.array(1) } as never)).toThrow(/unknown option 'gradscale'/);
    const halfRun = (fused: boolean) => {
      mx.setFusedKernelsEnabled(fused);
      const o = new optim.Adam({ learningRate: 0.1 });
      return Array.from((o.applyGradients({ w: mx.multiply(half, 0.5) }, { w: half }) as { w: mx.Array }).w.toTypedArray() as Uint16Array);
    };
    expect(halfRun(true)).toEqual(halfRun(false));
  });

  it('writes the new parameters and states into the old buffers when nothing else holds them', () => {
    const measure = (fused: boolean) => {
      mx.setFusedKernelsEnabled(fused);
      const n = 1 << 22; // 16 MB per array
      const params = { w: mx.random.normal([n], { key: mx.random.key(1) }) };
      const opt = new optim.AdamW({ learningRate: 1e-3 });
      opt.init(params);
      mx.eval(params, opt.state);
      const grads = { w: mx.random.normal([n], { key: mx.random.key(2) }) };
      mx.eval(grads);
      mx.resetPeakMemory();
      const before = mx.getActiveMemory();
      const old = params.w;
      opt.update(params, grads);
      old.dispose();
      mx.eval(params, opt.state);
      const grown = mx.getPeakMemory() - before;
      mx.dispose([params.w, grads.w, opt.state.w.m, opt.state.w.v]);
      return grown;
    };
    const fusedGrowth = measure(true);
    // p', m' and v' reuse p, m and v: no new 16 MB buffer at all (the op chain needs several).
    expect(fusedGrowth).toBeLessThan(4 << 20);
    expect(measure(false)).toBeGreaterThan(16 << 20);
  });
});

describe('TrainStep with the fused update', () => {
  function train(fused: boolean, options: { parts: number; compile: boolean; freeze?: boolean }) {
    mx.setFusedKernelsEnabled(fused);
    const model = tinyModel(3, { dropout: 0 });
    if (options.freeze) model.embedding.freeze();
    const frozenBefore = Array.from(model.embedding.weight.toTypedArray() as Float32Array);
    const optimizer = new optim.AdamW({ learningRate: 1e-2, weightDecay: 0.01 });
    const trainStep = new TrainStep(model, optimizer, classificationLoss, { maxGradNorm: 0.5, compile: options.compile });
    for (let s = 0; s < 4; s++) {
      const batch = syntheticBatch(12, 8, s);
      const size = 12 / options.parts;
      trainStep.run(Array.from({ length: options.parts }, (_, i) => sliceBatch(batch, i * size, (i + 1) * size)));
    }
    return { weights: snapshot(model), state: optimizer.state, frozenBefore, frozenAfter: Array.from(model.embedding.weight.toTypedArray() as Float32Array) };
  }
  const maxAbsDiff = (a: Record<string, Float32Array>, b: Record<string, Float32Array>) =>
    Math.max(...Object.keys(a).map((k) => Math.max(...a[k].map((v, i) => Math.abs(v - b[k][i])))));

  it.each([false, true])('equals the stock update with gradient accumulation and clipping (compile=%s)', (compile) => {
    const fused = train(true, { parts: 3, compile });
    const stock = train(false, { parts: 3, compile });
    expect(maxAbsDiff(fused.weights, stock.weights)).toBeLessThan(1e-6);
    expect(maxAbsDiff(fused.weights, train(true, { parts: 1, compile }).weights)).toBeLessThan(1e-5);
  });

  it.each([false, true])('leaves frozen weights untouched and keeps no state for them (compile=%s)', (compile) => {
    const fused = train(true, { parts: 1, compile, freeze: true });
    expect(fused.frozenAfter).toEqual(fused.frozenBefore);
    expect(mx.treeFlatten(fused.state).map(([k]) => k).filter((k) => k.startsWith('embedding'))).toEqual([]);
    expect(mx.treeFlatten(fused.state).map(([k]) => k)).toContain('hidden.weight.m');
    expect(maxAbsDiff(fused.weights, train(false, { parts: 1, compile, freeze: true }).weights)).toBeLessThan(1e-6);
  });
});
