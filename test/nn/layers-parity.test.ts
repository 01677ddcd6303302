// Forward outputs and gradients of every nn layer against Python mlx.nn (scripts/fixtures/nn.py).
import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';
import { checkLayer, type LayerCase, weightsOf } from './parity-helpers.js';

const { cases } = loadFixture<LayerCase>('nn-layers');
const byPrefix = (p: string) => {
  const found = cases.filter((c) => c.name.startsWith(p));
  if (found.length === 0) throw new Error(`nn-layers fixture has no '${p}' cases`);
  return found;
};

describe('nn layers match mlx.nn (forward and gradients, fp32 1e-5)', () => {
  it.each(byPrefix('linear'))('$name', (c) => {
    const m = new nn.Linear(c.config.in, c.config.out, { bias: c.config.bias });
    checkLayer(c, m, (x) => m.forward(x));
  });

  it('embedding', () => {
    const c = cases.find((x) => x.name === 'embedding')!;
    const m = new nn.Embedding(c.config.num, c.config.dims);
    checkLayer(c, m, (ids) => m.forward(ids));
  });

  it('embedding asLinear', () => {
    const c = cases.find((x) => x.name === 'embedding asLinear')!;
    const m = new nn.Embedding(c.config.num, c.config.dims);
    checkLayer(c, m, (x) => m.asLinear(x));
  });

  it.each(byPrefix('layernorm'))('$name', (c) => {
    const m = new nn.LayerNorm(c.config.dims, { affine: c.config.affine, bias: c.config.bias });
    checkLayer(c, m, (x) => m.forward(x));
  });

  it('rmsnorm', () => {
    const c = byPrefix('rmsnorm')[0];
    const m = new nn.RMSNorm(c.config.dims);
    checkLayer(c, m, (x) => m.forward(x));
  });

  it.each(byPrefix('gelu'))('$name', (c) => {
    const m = new nn.GELU(c.config.approx);
    checkLayer(c, m, (x) => m.forward(x));
  });

  it.each([...byPrefix('silu'), ...byPrefix('relu'), ...byPrefix('tanh')])('$name', (c) => {
    const m = new ({ SiLU: nn.SiLU, ReLU: nn.ReLU, Tanh: nn.Tanh } as Record<string, new () => nn.Module>)[c.config.cls]();
    checkLayer(c, m, (x) => m.forward(x));
  });

  it.each(byPrefix('gatedmlp'))('$name', (c) => {
    const m = new nn.GatedMLP(c.config.dims, c.config.hidden, { activation: c.config.activation });
    checkLayer(c, m, (x) => m.forward(x));
  });

  it('sequential', () => {
    const c = byPrefix('sequential')[0];
    const m = new nn.Sequential(new nn.Linear(5, 7), new nn.ReLU(), new nn.Linear(7, 3));
    checkLayer(c, m, (x) => m.forward(x));
  });

  it.each(byPrefix('quantized'))('$name: fromLinear packs like mlx and the layer matches', (c) => {
    const lin = new nn.Linear(c.config.in, c.config.out).loadWeights(weightsOf(c.linear));
    const q = nn.QuantizedLinear.fromLinear(lin, { groupSize: c.config.groupSize, bits: c.config.bits });
    // Packed weight, scales and biases equal what mlx.nn produced from the same float weight.
    for (const k of ['weight', 'scales', 'biases']) expectMatches((q as any)[k], c.params[k], { atol: 0, rtol: 1e-7, label: k });
    expect(Object.keys(mx.treeFlatten(q.trainableParameters()).map(([k]) => k))).toHaveLength(1);
    checkLayer(c, q, (x) => q.forward(x));
  });

  it.each(byPrefix('lora'))('$name: forward, gradients (base frozen) and fuse()', (c) => {
    const base = new nn.Linear(c.config.in, c.config.out).loadWeights(weightsOf(c.linear));
    const layer = c.config.quantized ? nn.QuantizedLinear.fromLinear(base, { groupSize: 32, bits: 8 }) : base;
    const m = nn.LoRALinear.fromBase(layer, { rank: c.config.rank, scale: c.config.scale });
    checkLayer(c, m, (x) => m.forward(x));
    expectMatches(m.fuse().weight, c.fusedWeight, { label: 'fused weight' });
    // The fused Linear computes what the LoRA layer does (up to the quantization already in the base).
    const x = fromFixture(c.inputs[0]);
    expectMatches(m.fuse().forward(x), c.output, { atol: c.config.quantized ? 1e-4 : 1e-5, label: 'fused output' });
  });

  it('dropout: same mask as mlx.nn for the same seed in training, identity in eval', () => {
    const c = byPrefix('dropout')[0];
    const m = new nn.Dropout(c.config.p);
    checkLayer(c, m, (x) => m.forward(x), {}, () => mx.random.seed(c.config.seed));
    m.eval();
    const x = fromFixture(c.inputs[0]);
    expect(m.forward(x)).toBe(x);
  });
});
