/**
 * nn.fuseLoRA: every LoRALinear of a tree (inside child modules, lists and plain objects) becomes the
 * plain Linear its fuse() gives, the model computes the same outputs within fp32 rounding (float and
 * 4-bit bases), and the new layers keep the trainability of what they replace.
 */
import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';

class Block extends nn.Module {
  query: nn.Module;
  value: nn.Module;
  out: nn.Linear;
  constructor(dims: number) {
    super();
    this.query = new nn.Linear(dims, dims);
    this.value = new nn.Linear(dims, dims, { bias: false });
    this.out = new nn.Linear(dims, dims);
  }
  forward(x: mx.Array): mx.Array {
    const q = (this.query as nn.Linear).forward(x);
    const v = (this.value as nn.Linear).forward(x);
    return this.out.forward(mx.add(nn.gelu(q), v));
  }
}

class Net extends nn.Module {
  layers: Block[];
  heads: { main: nn.Module };
  constructor(dims: number, depth: number) {
    super();
    this.layers = Array.from({ length: depth }, () => new Block(dims));
    this.heads = { main: new nn.Linear(dims, 3) };
  }
  forward(x: mx.Array): mx.Array {
    let h = x;
    for (const l of this.layers) h = l.forward(h);
    return (this.heads.main as nn.Linear).forward(h);
  }
}

const DIMS = 64;
const keys = (tree: object) => mx.treeFlatten(tree).filter(([, v]) => v instanceof mx.Array).map(([k]) => k).sort();
const loraLayers = (m: nn.Module) => m.modules().filter((x) => x instanceof nn.LoRALinear);

/** A 2-block net with LoRA on query/value and on the head (in a plain object), adapters set to non-zero values. */
function loraNet(options: { quantize: boolean }): Net {
  mx.random.seed(11);
  const net = new Net(DIMS, 2);
  if (options.quantize) nn.quantize(net, { bits: 4, groupSize: 64, classPredicate: (_p, m) => m instanceof nn.Linear && (m as nn.Linear).outputDims === DIMS });
  net.freeze();
  for (const block of net.layers) {
    block.query = nn.LoRALinear.fromBase(block.query as nn.Linear, { rank: 4, alpha: 8 });
    block.value = nn.LoRALinear.fromBase(block.value as nn.Linear, { rank: 4, alpha: 8 });
  }
  net.heads.main = nn.LoRALinear.fromBase(net.heads.main as nn.Linear, { rank: 2 });
  // A fresh loraB is zero (the update is a no-op); give every adapter a real update.
  for (const l of loraLayers(net) as nn.LoRALinear[]) l.loraB = mx.multiply(mx.random.normal(l.loraB.shape), 0.05);
  mx.eval(net.parameters());
  return net;
}

describe('nn.fuseLoRA', () => {
  const x = mx.random.normal([5, DIMS], { key: mx.random.key(2) });

  for (const quantize of [false, true]) {
    it(`replaces every LoRALinear by a Linear with the same outputs (${quantize ? '4-bit' : 'fp32'} base)`, () => {
      const net = loraNet({ quantize });
      expect(loraLayers(net)).toHaveLength(5);
      if (quantize) expect(net.modules().some((m) => m instanceof nn.QuantizedLinear)).toBe(true);
      const before = net.forward(x);

      expect(nn.fuseLoRA(net)).toBe(5);
      expect(loraLayers(net)).toHaveLength(0);
      for (const block of net.layers) {
        expect(block.query).toBeInstanceOf(nn.Linear);
        expect(block.value).toBeInstanceOf(nn.Linear);
      }
      expect(net.heads.main).toBeInstanceOf(nn.Linear);
      expect(keys(net.parameters()).some((k) => /lora[AB]/.test(k))).toBe(false);
      const after = net.forward(x);
      const diff = mx.max(mx.abs(mx.subtract(after, before))).item() as number;
      expect(diff).toBeLessThan(1e-4);
      // Untouched layers stay as they were: without dequantize the 4-bit `out` layers stay quantized.
      expect(net.layers[0].out).toBeInstanceOf(quantize ? nn.QuantizedLinear : nn.Linear);
      expect(nn.fuseLoRA(net)).toBe(0);
    });
  }

  it('changes the output only through the adapters it merges (a zero update fuses to the base)', () => {
    const net = loraNet({ quantize: false });
    const zeroed = loraNet({ quantize: false });
    for (const l of loraLayers(zeroed) as nn.LoRALinear[]) l.loraB = mx.zerosLike(l.loraB);
    const plain = zeroed.forward(x);
    expect(mx.max(mx.abs(mx.subtract(net.forward(x), plain))).item() as number).toBeGreaterThan(1e-3);
    nn.fuseLoRA(zeroed);
    expect(mx.max(mx.abs(mx.subtract(zeroed.forward(x), plain))).item() as number).toBe(0);
  });

  it('with dequantize, leaves no quantized layer and the same outputs', () => {
    const net = loraNet({ quantize: true });
    const before = net.forward(x);
    expect(nn.fuseLoRA(net, { dequantize: true })).toBe(5);
    expect(net.modules().some((m) => m instanceof nn.QuantizedLinear || m instanceof nn.LoRALinear)).toBe(false);
    expect(net.layers[1].out).toBeInstanceOf(nn.Linear);
    for (const [, a] of mx.treeFlatten(net.parameters())) expect((a as mx.Array).dtype).toBe('float32');
    expect(mx.max(mx.abs(mx.subtract(net.forward(x), before))).item() as number).toBeLessThan(1e-4);
  });

  it('fused layers train where the adapters trained; frozen modules stay frozen until unfrozen', () => {
    const net = loraNet({ quantize: true });
    // LoRA training trains the adapters only (the base is frozen).
    expect(keys(net.trainableParameters()).every((k) => /lora[AB]$/.test(k))).toBe(true);
    nn.fuseLoRA(net, { dequantize: true });
    const trainable = keys(net.trainableParameters());
    expect(trainable).toContain('layers.0.query.weight');
    expect(trainable).toContain('layers.0.query.bias');
    expect(trainable).toContain('heads.main.weight');
    // `out` had no trainable parameter (frozen base): its dequantized Linear is frozen too.
    expect(trainable.some((k) => k.startsWith('layers.0.out.'))).toBe(false);
    net.unfreeze();
    expect(net.numTrainableParameters()).toBe(net.numParameters());

    // A frozen LoRA layer (adapters frozen too) fuses to a frozen Linear.
    const frozen = loraNet({ quantize: false });
    frozen.freeze();
    nn.fuseLoRA(frozen);
    expect(frozen.numTrainableParameters()).toBe(0);
  });

  it('rejects what it cannot fuse in place, with the reason', () => {
    const lora = nn.LoRALinear.fromBase(new nn.Linear(8, 8));
    expect(() => nn.fuseLoRA(lora)).toThrow(/the model itself is a LoRALinear.*call its fuse\(\)/);
    expect(() => nn.fuseLoRA({} as nn.Module)).toThrow(/nn\.fuseLoRA: expected an nn\.Module/);
    expect(() => nn.fuseLoRA(new Net(DIMS, 1), { dequantise: true } as never)).toThrow(/unknown option 'dequantise'/);
  });
});
