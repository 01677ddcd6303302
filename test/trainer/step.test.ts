import { describe, expect, it } from 'vitest';
import { mx, optim } from '../../src/index.js';
import { classificationLoss as configLoss } from '../../src/trainer/loss.js';
import { TrainStep, type LossFn } from '../../src/trainer/step.js';
import { classificationLoss, sliceBatch, snapshot, syntheticBatch, tinyModel } from '../helpers/tiny-model.js';

function maxAbsDiff(a: Record<string, Float32Array>, b: Record<string, Float32Array>): number {
  let worst = 0;
  for (const k of Object.keys(a)) for (let i = 0; i < a[k].length; i++) worst = Math.max(worst, Math.abs(a[k][i] - b[k][i]));
  return worst;
}

function train(options: { compile: boolean | 'step' | 'update'; parts: number; steps: number; maxGradNorm?: number | null; dropout?: number; lossFn?: LossFn }) {
  const model = tinyModel(1, { dropout: options.dropout ?? 0 });
  const optimizer = new optim.AdamW({ learningRate: 1e-2, weightDecay: 0.01 });
  const step = new TrainStep(model, optimizer, options.lossFn ?? classificationLoss, { maxGradNorm: options.maxGradNorm ?? null, compile: options.compile });
  const losses: number[] = [];
  for (let s = 0; s < options.steps; s++) {
    const batch = syntheticBatch(12, 8, s);
    const size = 12 / options.parts;
    const parts = Array.from({ length: options.parts }, (_, i) => sliceBatch(batch, i * size, (i + 1) * size));
    losses.push(step.run(parts).loss);
  }
  return { model, losses, weights: snapshot(model) };
}

describe('TrainStep', () => {
  // The loss runs in JS once per trace under compile, once per step eagerly; the optimizer update likewise.
  it.each([
    [false, { lossCalls: 6, updateCalls: 6 }],
    ['update', { lossCalls: 6, updateCalls: 1 }],
    ['step', { lossCalls: 2, updateCalls: 2 }],
  ] as const)('compile=%s traces what it says: the loss and the update run in JS as often as expected over two batch shapes', (compile, expected) => {
    const model = tinyModel(1);
    const optimizer = new optim.AdamW({ learningRate: 1e-2 });
    let updateCalls = 0;
    const update = optimizer.update.bind(optimizer);
    optimizer.update = ((...args: Parameters<typeof update>) => {
      updateCalls++;
      return update(...args);
    }) as typeof optimizer.update;
    let lossCalls = 0;
    const lossFn: LossFn = (m, b) => {
      lossCalls++;
      return classificationLoss(m, b);
    };
    const step = new TrainStep(model, optimizer, lossFn, { maxGradNorm: 1, compile });
    // Six steps over two sequence lengths: 'step' retraces the whole step once per shape.
    for (let s = 0; s < 6; s++) step.run([syntheticBatch(12, s % 2 ? 8 : 16, s)]);
    expect({ lossCalls, updateCalls }).toEqual(expected);
  });

  it("compile: 'update' leaves the weights of the eager step", () => {
    const eager = train({ compile: false, parts: 1, steps: 3, maxGradNorm: 1 });
    const update = train({ compile: 'update', parts: 1, steps: 3, maxGradNorm: 1 });
    expect(maxAbsDiff(eager.weights, update.weights)).toBeLessThan(1e-5);
    const accumulated = train({ compile: 'update', parts: 2, steps: 3, maxGradNorm: 1 });
    expect(maxAbsDiff(eager.weights, accumulated.weights)).toBeLessThan(1e-5);
  });

  it('gradient accumulation over N micro-batches equals one batch N times larger', () => {
    const whole = train({ compile: false, parts: 1, steps: 4 });
    const accumulated = train({ compile: false, parts: 3, steps: 4 });
    expect(maxAbsDiff(whole.weights, accumulated.weights)).toBeLessThan(1e-5);
    accumulated.losses.forEach((l, i) => expect(l).toBeCloseTo(whole.losses[i], 5));
  });

  // Class-weighted cross-entropy divides by the batch's weight sum: each part must be weighed by its share
  // of the whole batch's weight sum, not its row count (which gave 8e-2 differences).
  it.each([false, true])('with class weights, accumulation and back-off splits give the update of one batch (compile=%s)', (compile) => {
    const lossFn = configLoss({ loss: 'cross_entropy', labelSmoothing: 0, classWeights: [1, 7] });
    const whole = train({ compile, parts: 1, steps: 4, lossFn });
    for (const parts of [2, 3, 4]) {
      const split = train({ compile, parts, steps: 4, lossFn });
      expect(maxAbsDiff(whole.weights, split.weights)).toBeLessThan(1e-6);
      split.losses.forEach((l, i) => expect(l).toBeCloseTo(whole.losses[i], 6));
    }
  });

  it('a compiled step leaves the same weights as the eager step (dropout included)', () => {
    const eager = train({ compile: false, parts: 1, steps: 3, dropout: 0.2 });
    const compiled = train({ compile: true, parts: 1, steps: 3, dropout: 0.2 });
    expect(maxAbsDiff(eager.weights, compiled.weights)).toBeLessThan(1e-5);
    const compiledAcc = train({ compile: true, parts: 2, steps: 3, dropout: 0 });
    const eagerAcc = train({ compile: false, parts: 2, steps: 3, dropout: 0 });
    expect(maxAbsDiff(eagerAcc.weights, compiledAcc.weights)).toBeLessThan(1e-5);
  });

  it('clips the gradient norm: SGD moves the weights by exactly lr · maxNorm in total', () => {
    const model = tinyModel(2, { dropout: 0 });
    const before = snapshot(model);
    const step = new TrainStep(model, new optim.SGD({ learningRate: 1 }), classificationLoss, { maxGradNorm: 1e-3, compile: false });
    const result = step.run([syntheticBatch(8, 6, 1)]);
    expect(result.gradNorm).toBeGreaterThan(1e-3);
    const after = snapshot(model);
    let squared = 0;
    for (const k of Object.keys(before)) for (let i = 0; i < before[k].length; i++) squared += (after[k][i] - before[k][i]) ** 2;
    expect(Math.sqrt(squared)).toBeCloseTo(1e-3, 6);
  });

  // The loop awaits the data loader between steps, so pending finalizers run; the step frees everything
  // else itself. (Wrappers of traced-function outputs inside mx.valueAndGrad are left to the GC: a few
  // bytes per step until the event loop turns.)
  it.each([false, true])('holds MLX memory flat over many steps (compile=%s) when the event loop turns between steps, as in the loop', async (compile) => {
    const model = tinyModel(5, { dropout: 0.1 });
    const step = new TrainStep(model, new optim.AdamW({ learningRate: 1e-3 }), classificationLoss, { maxGradNorm: 1, compile });
    const batches = [syntheticBatch(8, 6, 1), syntheticBatch(8, 6, 2)];
    const parts = [sliceBatch(batches[0], 0, 4), sliceBatch(batches[0], 4, 8)];
    mx.eval(batches, parts);
    const run = async (n: number) => {
      for (let i = 0; i < n; i++) {
        step.run([batches[i % 2]]);
        step.run(parts);
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 20));
    };
    await run(20);
    const active = mx.getActiveMemory();
    await run(150);
    // One leaked copy of the weights per step would add ~2 KB a step (~300 KB here); finalizer timing
    // moves the figure by a few KB either way.
    expect(mx.getActiveMemory() - active).toBeLessThan(32 * 1024);
  });
});
