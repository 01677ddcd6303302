// Gradients of the attention block and the losses against central finite differences in float64,
// independent of any reference implementation. MLX's CPU exp and erf are only float32-accurate even for
// float64 (measured: exp/erf off by ~1e-7 relative, so the attention loss jitters by ~1e-6), and a tiny
// step would amplify that noise (noise / eps). A five-point stencil with eps = 1e-2 keeps the noise near
// 1e-4 and the O(eps⁴) truncation error far below it; a wrong formula is off by O(1e-2) or more.
import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';

const EPS = 1e-2;

/** Five-point central difference of scalar f at flat index i of x (truncation error O(eps⁴)). */
function numericPartial(f: (x: mx.Array) => mx.Array, x: mx.Array, i: number): number {
  const flat = x.toTypedArray() as Float64Array;
  const at = (delta: number) => {
    const copy = Float64Array.from(flat);
    copy[i] += delta;
    return f(mx.array(copy, { dtype: 'float64', shape: x.shape })).item() as number;
  };
  return (8 * (at(EPS) - at(-EPS)) - (at(2 * EPS) - at(-2 * EPS))) / (12 * EPS);
}

/** Compares the analytic gradient with finite differences at `count` spread-out indices. */
function checkGradient(label: string, f: (x: mx.Array) => mx.Array, x: mx.Array, analytic: mx.Array, count = 6): void {
  expect(analytic.dtype, label).toBe('float64');
  const g = analytic.toTypedArray() as Float64Array;
  const step = Math.max(1, Math.floor(x.size / count));
  for (let i = 0; i < x.size; i += step) {
    const num = numericPartial(f, x, i);
    expect(Math.abs(g[i] - num), `${label}[${i}]: analytic ${g[i]} vs numeric ${num}`).toBeLessThan(3e-4 + 3e-4 * Math.abs(num));
  }
}

const f64 = (shape: number[], seed: number) => mx.astype(mx.random.normal(shape, { key: mx.random.key(seed) }), 'float64');

describe('finite-difference gradient checks (float64)', () => {
  it('TransformerEncoderLayer (attention with a padding+causal mask, GELU MLP): inputs and every parameter', () => {
    mx.random.seed(21);
    const layer = new nn.TransformerEncoderLayer(8, 2, { mlpDims: 12, activation: 'gelu', bias: true });
    layer.apply((a) => mx.astype(mx.multiply(a, 1.5), 'float64'));
    const x = f64([2, 4, 8], 1);
    const cot = f64([2, 4, 8], 2);
    const mask = { attentionMask: mx.array([[1, 1, 1, 0], [1, 1, 1, 1]]), causal: true };
    const lossOf = (input: mx.Array) => mx.sum(mx.multiply(layer.forward(input, mask), cot));

    checkGradient('d/dx', lossOf, x, mx.grad(lossOf)(x), 10);

    const [, grads] = nn.valueAndGrad(layer, lossOf)(x);
    for (const [path, g] of mx.treeFlatten(grads)) {
      const params = Object.fromEntries(mx.treeFlatten(layer.parameters())) as Record<string, mx.Array>;
      const original = params[path];
      const withParam = (p: mx.Array) => {
        layer.update(mx.treeUnflatten([[path, p]]) as Record<string, unknown>);
        try {
          return lossOf(x);
        } finally {
          layer.update(mx.treeUnflatten([[path, original]]) as Record<string, unknown>);
        }
      };
      checkGradient(path, withParam, original, g as mx.Array, 3);
    }
  });

  const logits = f64([4, 5], 3);
  const idx = mx.array([0, 4, -100, 2]);
  const losses: [string, (z: mx.Array) => mx.Array][] = [
    ['crossEntropy (classWeights, ignoreIndex, smoothing, mean)', (z) => nn.losses.crossEntropy(z, idx, {
      classWeights: mx.array([1, 0.5, 2, 1, 3], 'float64'), ignoreIndex: -100, labelSmoothing: 0.1, reduction: 'mean',
    })],
    ['crossEntropy (probabilities, sum)', (z) => nn.losses.crossEntropy(z, mx.softmax(f64([4, 5], 4), -1), { reduction: 'sum' })],
    ['focalLoss (gamma 2, ignoreIndex)', (z) => nn.losses.focalLoss(z, idx, { gamma: 2, alpha: 0.25, ignoreIndex: -100, reduction: 'mean' })],
    ['binaryCrossEntropy (logits)', (z) => nn.losses.binaryCrossEntropy(z, mx.astype(mx.greater(f64([4, 5], 5), 0), 'float64'))],
    ['binaryCrossEntropy (probabilities)', (z) => nn.losses.binaryCrossEntropy(mx.sigmoid(z), mx.astype(mx.greater(f64([4, 5], 5), 0), 'float64'), { withLogits: false })],
    ['mseLoss', (z) => nn.losses.mseLoss(z, f64([4, 5], 6))],
  ];
  it.each(losses)('%s', (_name, f) => {
    checkGradient('d/dlogits', f, logits, mx.grad(f)(logits), 20);
  });
});
