// nn.checkpoint and the encoder's gradient checkpointing: same values and gradients as the plain forward,
// gradients reaching every parameter, dropout masks reused by the recompute, and less peak memory.
import { describe, expect, it } from 'vitest';
import { models, mx, nn } from '../../src/index.js';

type Tree = Record<string, unknown>;

const flat = (tree: unknown) => mx.treeFlatten(tree).filter(([, v]) => v instanceof mx.Array) as [string, mx.Array][];

/** Loss mean(model(x)²) and its parameter gradients, evaluated. */
function lossAndGrads(model: nn.Module, x: mx.Array, ...rest: unknown[]): [mx.Array, Tree] {
  const vg = nn.valueAndGrad(model, (input: mx.Array) => {
    const y = model.forward(input, ...rest) as mx.Array;
    return mx.mean(mx.square(y));
  });
  const [loss, grads] = vg(x);
  mx.eval(loss, ...flat(grads).map(([, g]) => g));
  return [loss, grads];
}

function maxAbsDiff(a: mx.Array, b: mx.Array): number {
  return mx.tidy(() => mx.max(mx.abs(mx.subtract(a, b))).item() as number);
}

function expectSameGrads(plain: Tree, checkpointed: Tree, tol = 1e-5): void {
  const p = new Map(flat(plain));
  const c = flat(checkpointed);
  expect(c.map(([k]) => k).sort()).toEqual([...p.keys()].sort());
  for (const [k, g] of c) expect(maxAbsDiff(g, p.get(k)!), k).toBeLessThanOrEqual(tol);
}

describe('nn.checkpoint', () => {
  it('gives the encoder the same loss and gradients as without checkpointing', () => {
    mx.random.seed(3);
    const model = new nn.TransformerEncoder(3, 16, 4, { mlpDims: 32 });
    mx.eval(model.parameters());
    const x = mx.random.normal([2, 7, 16]);
    const mask = nn.MultiHeadAttention.createAdditiveCausalMask(7);
    const [loss, grads] = lossAndGrads(model, x, mask);
    model.checkpoint = true;
    const [lossCk, gradsCk] = lossAndGrads(model, x, mask);
    expect(Math.abs((loss.item() as number) - (lossCk.item() as number))).toBeLessThanOrEqual(1e-6);
    expectSameGrads(grads, gradsCk);
  });

  it('sends a gradient to every trainable parameter and leaves the module its own arrays', () => {
    mx.random.seed(4);
    const model = new nn.TransformerEncoder(2, 8, 2, { mlpDims: 16, checkpoint: true });
    mx.eval(model.parameters());
    const before = flat(model.parameters());
    const [, grads] = lossAndGrads(model, mx.random.normal([2, 5, 8]));
    const g = flat(grads);
    expect(g.map(([k]) => k).sort()).toEqual(flat(model.trainableParameters()).map(([k]) => k).sort());
    for (const [k, v] of g) {
      expect(mx.tidy(() => mx.all(mx.isfinite(v)).item()), `${k} finite`).toBe(true);
      expect(mx.tidy(() => mx.sum(mx.abs(v)).item() as number), `${k} nonzero`).toBeGreaterThan(0);
    }
    // The traced placeholders must not stay bound to the module.
    const after = flat(model.parameters());
    after.forEach(([k, v], i) => expect(v, k).toBe(before[i][1]));
  });

  it('wraps any module (or a method of it) like mlx.nn.utils.checkpoint', () => {
    mx.random.seed(5);
    const layer = new nn.Linear(4, 3);
    const x = mx.random.normal([5, 4]);
    const plain = mx.valueAndGrad((xs: mx.Array) => mx.sum(mx.square(layer.forward(xs))));
    const ck = nn.checkpoint(layer);
    const viaCk = mx.valueAndGrad((xs: mx.Array) => mx.sum(mx.square(ck(xs))));
    const [v1, g1] = plain(x);
    const [v2, g2] = viaCk(x);
    expect(maxAbsDiff(v1 as mx.Array, v2 as mx.Array)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(g1 as mx.Array, g2 as mx.Array)).toBeLessThanOrEqual(1e-5);
    const doubled = nn.checkpoint(layer, (xs: mx.Array) => mx.multiply(layer.forward(xs), 2));
    expect(maxAbsDiff(doubled(x), mx.multiply(layer.forward(x), 2))).toBeLessThanOrEqual(1e-6);
    expect(() => nn.checkpoint({} as never)).toThrow(/nn.checkpoint: expected an nn.Module/);
    expect(() => new nn.TransformerEncoder(1, 8, 2, { checkpoint: 'yes' as never })).toThrow(/expected a boolean for checkpoint/);
  });

  it('works inside a compiled training step', () => {
    mx.random.seed(9);
    const model = new nn.TransformerEncoder(2, 8, 2, { mlpDims: 16, checkpoint: true });
    mx.eval(model.parameters());
    const x = mx.random.normal([2, 5, 8]);
    const [loss, grads] = lossAndGrads(model, x);
    const state = nn.moduleState(model);
    const step = mx.compile(
      (input: mx.Array) => nn.valueAndGrad(model, (xs: mx.Array) => mx.mean(mx.square(model.forward(xs))))(input),
      { inputs: [state, mx.randomState], outputs: [state, mx.randomState] },
    );
    for (let i = 0; i < 2; i++) {
      const [lossC, gradsC] = step(x) as [mx.Array, Tree];
      expect(maxAbsDiff(lossC, loss)).toBeLessThanOrEqual(1e-6);
      expectSameGrads(grads, gradsC);
    }
  });

  it('recomputes dropout with the masks of the forward pass', () => {
    // In training mode the wrapper draws one key (random.bits([2])) and runs the layer under it; the
    // plain layer run under that same key must give the same loss and gradients.
    mx.random.seed(6);
    const layer = new nn.TransformerEncoderLayer(8, 2, { mlpDims: 16, dropout: 0.5 });
    mx.eval(layer.parameters());
    const x = mx.random.normal([2, 6, 8]);
    const ck = nn.checkpoint(layer);
    const run = (f: (input: mx.Array) => mx.Array): [mx.Array, Tree] => {
      const [loss, grads] = nn.valueAndGrad(layer, (input: mx.Array) => mx.mean(mx.square(f(input))))(x);
      mx.eval(loss, ...flat(grads).map(([, g]) => g));
      return [loss, grads];
    };
    const start = mx.random.getState();
    const [lossCk, gradsCk] = run((input) => ck(input));
    const afterCk = mx.random.getState();

    mx.random.setState(start);
    const key = mx.random.bits([2]);
    const afterKey = mx.random.getState();
    mx.random.setState(key);
    const [loss, grads] = run((input) => layer.forward(input));
    mx.random.setState(afterKey);

    expect(maxAbsDiff(lossCk, loss)).toBeLessThanOrEqual(1e-6);
    expectSameGrads(grads, gradsCk);
    // The wrapper advanced the global generator by exactly that one draw.
    expect(mx.arrayEqual(afterCk, afterKey).item()).toBe(true);
    // And dropout was really on: the eval-mode loss differs.
    layer.eval();
    const [lossEval] = run((input) => ck(input));
    expect(maxAbsDiff(lossEval, loss)).toBeGreaterThan(1e-3);
  });

  it('lowers the peak memory of a value-and-grad on a deep stack with long sequences', () => {
    mx.random.seed(7);
    const model = new nn.TransformerEncoder(6, 64, 4, { mlpDims: 256 });
    mx.eval(model.parameters());
    const x = mx.random.normal([2, 512, 64]);
    mx.eval(x);
    const peakOf = (checkpoint: boolean): number => {
      model.checkpoint = checkpoint;
      mx.clearCache();
      mx.resetPeakMemory();
      const base = mx.getActiveMemory();
      mx.tidy(() => {
        lossAndGrads(model, x);
      });
      return mx.getPeakMemory() - base;
    };
    const plain = peakOf(false);
    const checkpointed = peakOf(true);
    // Without checkpointing every layer's activations (the [2, 512, 256] MLP states, the attention
    // intermediates, …) are alive at the start of the backward pass; with it only each layer's input is.
    expect(checkpointed).toBeLessThan(plain * 0.75);
  });
});

describe('gradientCheckpointing in the model configs', () => {
  const tiny = { vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };

  for (const family of ['bert', 'modernbert'] as const) {
    it(`${family}: defaults to off and, when on, gives the same gradients`, () => {
      const config = family === 'bert'
        ? models.bertConfig('tiny', { ...tiny, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 })
        : models.modernBertConfig('tiny', { ...tiny, localAttention: 4 });
      expect(config.gradientCheckpointing).toBe(false);
      mx.random.seed(8);
      const plainModel = models.createModel(config, 'sequence-classification') as nn.Module;
      mx.random.seed(8);
      const ckModel = models.createModel({ ...config, gradientCheckpointing: true }, 'sequence-classification') as nn.Module;
      mx.eval(plainModel.parameters(), ckModel.parameters());
      const ids = mx.astype(mx.random.randint(0, 50, [2, 9]), 'int32');
      const attentionMask = mx.array([[1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0, 0]], 'int32');
      const [loss, grads] = lossAndGrads(plainModel, ids, { attentionMask });
      const [lossCk, gradsCk] = lossAndGrads(ckModel, ids, { attentionMask });
      expect(maxAbsDiff(loss, lossCk)).toBeLessThanOrEqual(1e-6);
      expectSameGrads(grads, gradsCk);
    });
  }
});
