// nn.losses against Python: mlx.nn.losses where it has the loss (cross entropy, binary cross entropy, mse,
// l1), and formulas written with mlx ops in scripts/fixtures/nn.py for the extras (class weights, ignore
// index, focal loss). Values and gradients w.r.t. the logits, every reduction.
import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

interface LossCase {
  name: string;
  logits: EncodedArray;
  targets: EncodedArray;
  options: Record<string, any>;
  value: EncodedArray;
  grad: EncodedArray;
}

const { cases } = loadFixture<LossCase>('nn-losses');

function lossFn(c: LossCase): (z: mx.Array) => mx.Array {
  const t = fromFixture(c.targets);
  const o = c.options;
  const reduction = o.reduction as nn.losses.Reduction;
  const kind = c.name.split(' ')[0];
  switch (kind) {
    case 'ce':
      return (z) => nn.losses.crossEntropy(z, t, {
        reduction,
        weights: o.weights ? fromFixture(o.weights) : undefined,
        classWeights: o.classWeights ? fromFixture(o.classWeights) : undefined,
        labelSmoothing: o.labelSmoothing,
        ignoreIndex: o.ignoreIndex,
        axis: o.axis,
      });
    case 'bce':
      return (z) => nn.losses.binaryCrossEntropy(z, t, { reduction, withLogits: o.withLogits, weights: o.weights ? fromFixture(o.weights) : undefined });
    case 'mse':
      return (z) => nn.losses.mseLoss(z, t, reduction);
    case 'l1':
      return (z) => nn.losses.l1Loss(z, t, reduction);
    case 'focal':
      return (z) => nn.losses.focalLoss(z, t, { reduction, gamma: o.gamma, alpha: o.alphaArray ? fromFixture(o.alphaArray) : o.alpha, ignoreIndex: o.ignoreIndex });
    default:
      throw new Error(`unknown loss case ${c.name}`);
  }
}

describe('nn.losses match Python MLX (value and gradient)', () => {
  it.each(cases)('$name', (c) => {
    const f = lossFn(c);
    const z = fromFixture(c.logits);
    expectMatches(f(z), c.value, { label: `${c.name} value` });
    expectMatches(mx.grad((x: mx.Array) => mx.sum(f(x)))(z), c.grad, { label: `${c.name} gradient` });
  });

  it('covers every reduction for each loss', () => {
    for (const kind of ['ce indices', 'ce probs', 'ce weights', 'ce smoothing', 'ce classWeights', 'ce ignoreIndex', 'bce logits', 'bce probs', 'mse', 'l1', 'focal gamma=2']) {
      const reds = cases.filter((c) => /^(none|mean|sum)$/.test(c.name.slice(kind.length + 1)) && c.name.startsWith(`${kind} `)).map((c) => c.options.reduction).sort();
      expect(reds, kind).toEqual(['mean', 'none', 'sum']);
    }
  });
});

describe('nn.losses reject bad input with clear errors', () => {
  const logits = mx.zeros([4, 3]);
  it('names mismatched shapes', () => {
    expect(() => nn.losses.crossEntropy(logits, mx.array([0, 1, 2]))).toThrow(/targets shape \[3\] does not match logits shape \[4,3\]/);
    expect(() => nn.losses.mseLoss(mx.zeros([2, 3]), mx.zeros([3, 2]))).toThrow(/predictions shape \[2,3\] does not match targets shape \[3,2\]/);
    expect(() => nn.losses.crossEntropy(logits, mx.array([0, 1, 2, 0]), { classWeights: mx.ones([4]) })).toThrow(/classWeights must have shape \[3\]/);
  });
  it('names a bad reduction, smoothing or option', () => {
    expect(() => nn.losses.crossEntropy(logits, mx.array([0, 1, 2, 0]), { reduction: 'avg' as any })).toThrow(/invalid reduction 'avg'/);
    expect(() => nn.losses.crossEntropy(logits, mx.array([0, 1, 2, 0]), { labelSmoothing: 1 })).toThrow(/labelSmoothing must be in \[0, 1\)/);
    expect(() => nn.losses.crossEntropy(logits, mx.array([0, 1, 2, 0]), { ignore_index: -100 } as any)).toThrow(/unknown option 'ignore_index'/);
  });
  it('gives 0 (not NaN) for a mean over only ignored targets', () => {
    const v = nn.losses.crossEntropy(logits, mx.array([-100, -100, -100, -100]), { ignoreIndex: -100, reduction: 'mean' });
    expect(v.item()).toBe(0);
  });
});
