/**
 * QuantizedLinear's two compute paths: 'quantized' (mx.quantizedMatmul) and 'dequantized' (the frozen
 * weight expanded to fp32, then the BLAS matmul). Both match Python mlx.nn.QuantizedLinear (forward,
 * bias gradient and input gradient, scripts/fixtures/nn.py) and agree with each other on a
 * MiniLM-sized layer within fp32 rounding; 'auto' takes the dequantized path on the CPU.
 */
import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { loadFixture } from '../helpers/fixtures.js';
import { checkLayer, type LayerCase, weightsOf } from './parity-helpers.js';

const quantizedCases = loadFixture<LayerCase>('nn-layers').cases.filter((c) => c.name.startsWith('quantized'));

const maxAbsDiff = (a: mx.Array, b: mx.Array) => mx.max(mx.abs(mx.subtract(a, b))).item() as number;

describe('QuantizedLinear compute paths', () => {
  it('has fixture cases', () => expect(quantizedCases.length).toBeGreaterThan(0));

  for (const compute of ['quantized', 'dequantized'] as const) {
    it.each(quantizedCases)(`${compute}: $name matches mlx.nn.QuantizedLinear (fp32 1e-5)`, (c) => {
      const lin = new nn.Linear(c.config.in, c.config.out).loadWeights(weightsOf(c.linear));
      const q = nn.QuantizedLinear.fromLinear(lin, { groupSize: c.config.groupSize, bits: c.config.bits, compute });
      expect(q.effectiveCompute).toBe(compute);
      checkLayer(c, q, (x) => q.forward(x));
    });
  }

  it('agree on a MiniLM-sized 4-bit layer: output, input gradient and a LoRA adapter gradient', () => {
    mx.random.seed(7);
    const q = nn.QuantizedLinear.fromLinear(new nn.Linear(384, 1536), { bits: 4, groupSize: 64 });
    const lora = nn.LoRALinear.fromBase(q, { rank: 8, alpha: 16 });
    lora.loraB = mx.random.normal([8, 1536], { scale: 0.02 });
    const x = mx.random.normal([4, 56, 384]);
    const cot = mx.random.normal([4, 56, 1536]);
    const run = (compute: 'quantized' | 'dequantized') => {
      q.compute = compute;
      const loss = (xx: mx.Array) => mx.sum(mx.multiply(lora.forward(xx), cot));
      const y = lora.forward(x);
      const dx = mx.grad(loss)(x) as mx.Array;
      const [, grads] = nn.valueAndGrad(lora, (xx: mx.Array) => loss(xx))(x);
      const flat = Object.fromEntries(mx.treeFlatten(grads)) as Record<string, mx.Array>;
      mx.eval(y, dx, flat.loraA, flat.loraB);
      return { y, dx, loraA: flat.loraA, loraB: flat.loraB };
    };
    const a = run('quantized');
    const b = run('dequantized');
    // fp32 sums of 384 (forward) and 1536 (input gradient) products in another order.
    const scale = (t: mx.Array) => mx.max(mx.abs(t)).item() as number;
    expect(maxAbsDiff(a.y, b.y)).toBeLessThan(1e-5 * Math.max(1, scale(a.y)) * 10);
    expect(maxAbsDiff(a.dx, b.dx)).toBeLessThan(1e-5 * Math.max(1, scale(a.dx)) * 10);
    expect(maxAbsDiff(a.loraA, b.loraA)).toBeLessThan(1e-5 * Math.max(1, scale(a.loraA)) * 10);
    expect(maxAbsDiff(a.loraB, b.loraB)).toBeLessThan(1e-5 * Math.max(1, scale(a.loraB)) * 10);
  });

  it("'auto' is the dequantized path on the CPU, and the option is checked", () => {
    const q = new nn.QuantizedLinear(64, 8, { bits: 4, groupSize: 64 });
    expect(q.compute).toBe('auto');
    expect(mx.defaultDevice().type).toBe('cpu');
    expect(q.effectiveCompute).toBe('dequantized');
    expect(() => new nn.QuantizedLinear(64, 8, { compute: 'fast' as never })).toThrow(/compute must be 'auto', 'quantized' or 'dequantized' but received/);
    const model = new nn.Sequential(new nn.Linear(64, 8));
    nn.quantize(model, { compute: 'quantized' });
    expect((model.layers[0] as nn.QuantizedLinear).compute).toBe('quantized');
  });

  it('the dequantized path keeps the weight frozen: no gradient reaches weight/scales/biases', () => {
    const q = nn.QuantizedLinear.fromLinear(new nn.Linear(64, 8), { compute: 'dequantized' });
    const [, grads] = nn.valueAndGrad(q, (x: mx.Array) => mx.sum(q.forward(x)))(mx.ones([2, 64]));
    expect(mx.treeFlatten(grads).map(([k]) => k)).toEqual(['bias']);
  });
});
