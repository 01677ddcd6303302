/** Shared by the nn parity tests: build a module's weights from a fixture and compare forward + gradients. */
import { expect } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture } from '../helpers/fixtures.js';

export interface LayerCase {
  name: string;
  config: Record<string, any>;
  params: Record<string, EncodedArray>;
  inputs: EncodedArray[];
  cot: EncodedArray;
  output: EncodedArray;
  gradParams: Record<string, EncodedArray>;
  gradInputs: Record<string, EncodedArray>;
  [extra: string]: any;
}

export const weightsOf = (params: Record<string, EncodedArray>): [string, mx.Array][] =>
  Object.entries(params).map(([k, v]) => [k, fromFixture(v)]);

/**
 * Loads the fixture's weights into `model` (strict), then checks call(...inputs) and the gradients of
 * sum(output * cot) with respect to the trainable parameters (nn.valueAndGrad) and the float inputs (mx.grad).
 */
export function checkLayer(c: LayerCase, model: nn.Module, call: (...xs: mx.Array[]) => mx.Array, tol: { atol?: number; rtol?: number } = {}, before?: () => void): void {
  model.loadWeights(weightsOf(c.params));
  const inputs = c.inputs.map(fromFixture);
  const cot = fromFixture(c.cot);
  before?.();
  const out = call(...inputs);
  expectMatches(out, c.output, { ...tol, label: `${c.name} output` });

  const loss = (...xs: mx.Array[]) => mx.sum(mx.multiply(call(...xs), cot));
  // Python takes both gradients in one call: replay the same random key for the input gradients (Dropout).
  const rngState = mx.random.getState();
  const [, gradParams] = nn.valueAndGrad(model, loss)(...inputs);
  const flat = Object.fromEntries(mx.treeFlatten(gradParams)) as Record<string, mx.Array>;
  expect(Object.keys(flat).sort(), `${c.name} gradient keys`).toEqual(Object.keys(c.gradParams).sort());
  for (const [k, g] of Object.entries(c.gradParams)) expectMatches(flat[k], g, { ...tol, label: `${c.name} d/d${k}` });

  const diff = Object.keys(c.gradInputs).map(Number);
  if (diff.length > 0) {
    mx.random.setState(rngState);
    const f = (...xs: mx.Array[]) => {
      const args = [...inputs];
      diff.forEach((i, j) => { args[i] = xs[j]; });
      return loss(...args);
    };
    const grads = mx.grad(f, diff.map((_, j) => j))(...diff.map((i) => inputs[i])) as mx.Array[];
    diff.forEach((i, j) => expectMatches(grads[j], c.gradInputs[String(i)], { ...tol, label: `${c.name} d/dinput${i}` }));
  }
}
