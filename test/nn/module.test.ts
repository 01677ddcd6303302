// Module mechanics: parameter trees, freeze/unfreeze (checked against mlx.nn's trainable sets),
// update, save/load round trips, strict loading errors, modes, counts and printing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, mx, nn } from '../../src/index.js';
import { loadFixture } from '../helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-nn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const keysOf = (tree: unknown) => mx.treeFlatten(tree).map(([k]) => k).sort();
const ref = loadFixture<Record<string, any>>('nn-module').cases[0];
const encoder = () => new nn.TransformerEncoder(2, 8, 2, { mlpDims: 12 });

describe('parameter trees and freezing follow mlx.nn', () => {
  it('lists the same parameter paths as mlx.nn, with lists of modules as arrays', () => {
    const m = encoder();
    expect(keysOf(m.parameters())).toEqual(ref.all);
    expect(Array.isArray(m.parameters().layers)).toBe(true);
    expect(m.numParameters()).toBe(ref.numParameters);
    // Empty modules (Dropout) are kept as empty subtrees, as in mlx.nn.
    expect((m.parameters().layers as any)[0].dropout1).toEqual({});
  });

  it('freeze() then unfreeze({keys: "bias"}) leaves only the biases trainable', () => {
    const m = encoder().freeze().unfreeze({ keys: 'bias' });
    expect(keysOf(m.trainableParameters())).toEqual(ref.unfreezeBias);
    expect(m.numTrainableParameters()).toBe(mx.treeFlatten(m.trainableParameters()).reduce((n, [, v]) => n + (v as mx.Array).size, 0));
  });

  it('freezing one child and all weights by key matches mlx.nn', () => {
    const m = encoder();
    m.layers[0].freeze();
    m.freeze({ keys: ['weight'] });
    expect(keysOf(m.trainableParameters())).toEqual(ref.freezeLayer0AndWeights);
  });

  it('freeze({recurse: false}) only freezes the module\'s own parameters', () => {
    expect(keysOf(encoder().freeze({ recurse: false }).trainableParameters())).toEqual(ref.freezeNoRecurse);
  });

  it('freezes by a pattern on dotted paths (glob or RegExp)', () => {
    const m = encoder().freeze({ pattern: 'layers.*.attention.**' });
    const trainable = keysOf(m.trainableParameters());
    expect(trainable.some((k) => k.includes('attention'))).toBe(false);
    expect(trainable).toContain('layers.0.linear1.weight');
    m.unfreeze({ pattern: /^layers\.1\.attention\.queryProj\./ });
    expect(keysOf(m.trainableParameters()).filter((k) => k.includes('attention'))).toEqual(['layers.1.attention.queryProj.weight']);
    expect(() => m.freeze({ keys: 'nope', strict: true })).toThrow(/no module has a parameter named 'nope'/);
  });

  it('gradients skip frozen parameters', () => {
    const m = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 1));
    (m.layers[0] as nn.Module).freeze();
    const [, g] = nn.valueAndGrad(m, (x: mx.Array) => mx.sum(m.forward(x)))(mx.ones([4, 3]));
    expect(keysOf(g)).toEqual(['layers.1.bias', 'layers.1.weight']);
  });

  it('children, namedModules, leafModules, modules and applyToModules walk the tree', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Sequential(new nn.Linear(4, 2)));
    expect(Object.keys(m.children())).toEqual(['layers']);
    const names = m.namedModules().map(([p]) => p);
    expect(new Set(names)).toEqual(new Set(['', 'layers.0', 'layers.1', 'layers.2', 'layers.2.layers.0']));
    expect(m.modules()).toHaveLength(5);
    expect(keysOf(m.leafModules())).toEqual(['layers.0', 'layers.1', 'layers.2.layers.0']);
    const seen: string[] = [];
    m.applyToModules((p) => seen.push(p));
    expect(seen[0]).toBe('');
    expect(new Set(seen)).toEqual(new Set(names));
  });

  it('train() and eval() set the flag on every module', () => {
    const m = encoder();
    m.eval();
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
  });

  it('apply maps parameters (e.g. a dtype cast)', () => {
    const m = new nn.Linear(3, 2).apply((a) => mx.astype(a, 'float16'));
    expect(m.weight.dtype).toBe('float16');
    expect(m.bias!.dtype).toBe('float16');
  });

  it('prints the module tree', () => {
    expect(new nn.Sequential(new nn.Linear(3, 4), new nn.GELU('tanh')).toString()).toBe(
      'Sequential(\n  (layers.0): Linear(inputDims=3, outputDims=4, bias=true)\n  (layers.1): GELU(approx=tanh)\n)',
    );
  });
});

describe('update', () => {
  it('replaces parameters from a (partial) tree', () => {
    const m = new nn.Linear(3, 2);
    const w = mx.ones([2, 3]);
    m.update({ weight: w });
    expect(m.weight).toBe(w);
  });

  it('names a non-array leaf, an unknown key and a non-tree', () => {
    const m = encoder();
    expect(() => m.update({ layers: [{ linear1: { weight: 3 } }] })).toThrow(/expected an mx.array for parameter 'layers.0.linear1.weight' but received 3 \(number\)/);
    expect(() => m.update({ layers: [{ linear3: { weight: mx.ones([1]) } }] })).toThrow(/has no parameter named 'layers.0.linear3'/);
    expect(() => m.update({ ln: 'x' as any })).toThrow(/expected a tree for 'ln'/);
    expect(() => m.update(null as any)).toThrow(/expected a tree of parameters/);
    expect(() => m.update({ layers: [{ linear3: {} }] }, false)).not.toThrow();
  });

  it('updateModules swaps child modules', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU());
    const g = new nn.GELU();
    m.updateModules({ layers: [{}, g] });
    expect(m.layers[1]).toBe(g);
  });
});

describe('saveWeights / loadWeights', () => {
  it('round-trips every parameter through a safetensors file', () => {
    const a = encoder();
    const file = join(dir, 'enc.safetensors');
    a.saveWeights(file);
    const b = encoder().loadWeights(file);
    const fa = Object.fromEntries(mx.treeFlatten(a.parameters()));
    for (const [k, v] of mx.treeFlatten(b.parameters())) {
      expect(mx.arrayEqual(v as mx.Array, fa[k] as mx.Array).item(), k).toBe(true);
    }
    const x = mx.random.normal([2, 4, 8]);
    expect(mx.allclose(a.forward(x), b.forward(x)).item()).toBe(true);
  });

  it('reports missing, unexpected and mis-shaped keys together, with shapes', () => {
    const m = new nn.Sequential(new nn.Linear(3, 4), new nn.Linear(4, 2));
    const before = (m.layers[0] as nn.Linear).weight;
    const weights: [string, mx.Array][] = [
      ['layers.0.weight', mx.zeros([4, 3])],
      ['layers.0.bias', mx.zeros([5])],
      ['layers.1.weight', mx.zeros([2, 4])],
      ['layers.2.weight', mx.zeros([1, 2])],
    ];
    let message = '';
    try {
      m.loadWeights(weights);
    } catch (e) {
      expect(e).toBeInstanceOf(CheckpointError);
      expect((e as CheckpointError).code).toBe('WEIGHTS_MISMATCH');
      message = (e as Error).message;
    }
    expect(message).toContain('missing 1 parameter(s):\n  layers.1.bias [2]');
    expect(message).toContain('unexpected 1 parameter(s):\n  layers.2.weight [1,2]');
    expect(message).toContain('mis-shaped 1 parameter(s):\n  layers.0.bias: expected shape [4] but received [5]');
    // Nothing was loaded by the failed strict call.
    expect((m.layers[0] as nn.Linear).weight).toBe(before);
  });

  it('loads the matching names with strict: false', () => {
    const m = new nn.Linear(3, 2);
    const w = mx.ones([2, 3]);
    m.loadWeights([['weight', w], ['extra', mx.zeros([1])]], { strict: false });
    expect(m.weight).toBe(w);
  });

  it('names the file when it cannot be read, and a bad path for saving', () => {
    expect(() => new nn.Linear(2, 2).loadWeights(join(dir, 'missing.safetensors'))).toThrow(/missing\.safetensors/);
    expect(() => new nn.Linear(2, 2).saveWeights(join(dir, 'w.npz'))).toThrow(/ending in \.safetensors/);
  });
});

describe('layers reject bad input naming the layer and the shapes', () => {
  it('wrong last dimension', () => {
    expect(() => new nn.Linear(64, 32).forward(mx.zeros([2, 3, 48]))).toThrow(
      'Linear(inputDims=64, outputDims=32, bias=true): expected input with last dimension 64 but received shape [2,3,48]',
    );
    expect(() => new nn.LayerNorm(8).forward(mx.zeros([2, 7]))).toThrow(/LayerNorm\(8, .*\): expected input with last dimension 8 but received shape \[2,7\]/);
    expect(() => new nn.MultiHeadAttention(8, 2).forward(mx.zeros([1, 2, 8]), mx.zeros([1, 2, 6]), mx.zeros([1, 2, 8]))).toThrow(/expected keys with last dimension 8 but received shape \[1,2,6\]/);
    expect(() => nn.QuantizedLinear.fromLinear(new nn.Linear(64, 4)).forward(mx.zeros([1, 32]))).toThrow(/QuantizedLinear\(inputDims=64.*last dimension 64 but received shape \[1,32\]/);
  });

  it('bad constructor arguments and options', () => {
    expect(() => new nn.MultiHeadAttention(10, 3)).toThrow(/divisible by the number of heads/);
    expect(() => new nn.Linear(3, 2, { biass: false } as any)).toThrow(/unknown option 'biass'/);
    expect(() => new nn.Dropout(1)).toThrow(/\[0, 1\)/);
    expect(() => new nn.Embedding(10, 4).forward(mx.zeros([2]))).toThrow(/expected integer ids but received float32/);
    expect(() => new nn.GELU('erf' as any)).toThrow(/none, precise, tanh, fast/);
  });
});

describe('quantize() and LoRA on a model', () => {
  it('swaps Linear layers for QuantizedLinear, honoring classPredicate', () => {
    const m = new nn.Sequential(new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 8));
    nn.quantize(m, { groupSize: 64, bits: 8, classPredicate: (p) => p === 'layers.0' });
    expect(m.layers[0]).toBeInstanceOf(nn.QuantizedLinear);
    expect(m.layers[2]).toBeInstanceOf(nn.Linear);
    expect((m.layers[0] as nn.QuantizedLinear).bits).toBe(8);
    nn.quantize(m);
    expect(m.layers[2]).toBeInstanceOf(nn.QuantizedLinear);
    expect(keysOf(m.trainableParameters())).toEqual(['layers.0.bias', 'layers.2.bias']);
  });

  it('a fresh LoRA layer computes what its base does; only loraA/loraB train', () => {
    const base = new nn.Linear(8, 4);
    const lora = nn.LoRALinear.fromBase(base, { rank: 2, alpha: 16 });
    expect(lora.scale).toBe(8);
    const x = mx.random.normal([3, 8]);
    expect(mx.allclose(lora.forward(x), base.forward(x)).item()).toBe(true);
    expect(keysOf(lora.trainableParameters())).toEqual(['loraA', 'loraB']);
  });
});

describe('compile with a module as state', () => {
  it('a compiled training step updates the model like the uncompiled one', () => {
    const make = () => {
      mx.random.seed(3);
      return new nn.Sequential(new nn.Linear(4, 8), new nn.GELU(), new nn.Linear(8, 2));
    };
    const x = mx.random.normal([5, 4], { key: mx.random.key(1) });
    const y = mx.array([0, 1, 1, 0, 1]);
    const stepOf = (m: nn.Sequential) => {
      const vg = nn.valueAndGrad(m, (a: mx.Array, b: mx.Array) => nn.losses.crossEntropy(m.forward(a), b, { reduction: 'mean' }));
      return (a: mx.Array, b: mx.Array) => {
        const [loss, g] = vg(a, b);
        m.update(mx.treeMap((p: mx.Array, d: mx.Array) => mx.subtract(p, mx.multiply(d, 0.1)), m.trainableParameters(), g));
        return loss;
      };
    };
    const plain = make();
    const compiledModel = make();
    const state = nn.moduleState(compiledModel);
    const step = mx.compile(stepOf(compiledModel), { inputs: state, outputs: state });
    const plainStep = stepOf(plain);
    for (let i = 0; i < 3; i++) {
      const a = plainStep(x, y).item() as number;
      const b = step(x, y).item() as number;
      expect(b).toBeCloseTo(a, 5);
    }
    const pa = Object.fromEntries(mx.treeFlatten(plain.parameters()));
    for (const [k, v] of mx.treeFlatten(compiledModel.parameters())) expect(mx.allclose(v as mx.Array, pa[k] as mx.Array, 1e-5, 1e-6).item(), k).toBe(true);
  });
});
