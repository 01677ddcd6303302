// Attention-probability dropout (HF BERT's attention_probs_dropout_prob): mx.fused.attention's `dropout`
// (values against Python MLX are in test/core/fused-attention.test.ts), the stock paths drawing the same
// mask, nn.MultiHeadAttention's option, the recompute of gradient checkpointing, and the models that
// apply it. Every test here fails if the setting did nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { models, mx, nn } from '../../src/index.js';
import { native } from '../../src/core/binding.js';

afterEach(() => mx.setFusedKernelsEnabled(undefined));

const graph = (a: mx.Array) => native.fusedGraphPrimitives(a.handle);
const bits = (a: mx.Array) => Array.from(a.toTypedArray() as Float32Array);
const maxDiff = (a: mx.Array, b: mx.Array) => mx.tidy(() => mx.max(mx.abs(mx.subtract(mx.astype(a, 'float32'), mx.astype(b, 'float32')))).item() as number);
const keyOf = (n: number) => mx.random.key(n);

/** The reference spelled out: softmax(q·kᵀ·scale + mask) · bernoulli(1 − p, key)/(1 − p), then ·v. */
function reference(q: mx.Array, k: mx.Array, v: mx.Array, scale: number, mask: mx.Array | null, p: number, key: mx.Array): mx.Array {
  let scores = mx.matmul(mx.multiply(q, scale), mx.swapaxes(k, -1, -2));
  if (mask) scores = mx.where(mask, scores, -3.4028234663852886e38);
  const probs = mx.softmax(scores, -1, true);
  const kept = mx.multiply(mx.astype(mx.random.bernoulli(1 - p, probs.shape, { key }), probs.dtype), 1 / (1 - p));
  return mx.matmul(mx.multiply(probs, kept), v);
}

describe('mx.fused.attention dropout', () => {
  const [q, k, v] = [1, 2, 3].map((s) => mx.random.normal([2, 3, 9, 16], { key: keyOf(s) }));
  const mask = mx.reshape(mx.less(mx.arange(9), mx.expandDims(mx.array([9, 5]), 1)), [2, 1, 1, 9]);

  it('drops: the value moves with p and with the key, and p = 0 is the undropped kernel bit for bit', () => {
    mx.tidy(() => {
      const plain = mx.fused.attention(q, k, v, 0.25, mask);
      expect(bits(mx.fused.attention(q, k, v, 0.25, mask, { dropout: 0 }))).toEqual(bits(plain));
      const a = mx.fused.attention(q, k, v, 0.25, mask, { dropout: 0.3, key: keyOf(7) });
      expect(maxDiff(a, plain)).toBeGreaterThan(1e-2);
      expect(bits(mx.fused.attention(q, k, v, 0.25, mask, { dropout: 0.3, key: keyOf(7) }))).toEqual(bits(a));
      expect(maxDiff(mx.fused.attention(q, k, v, 0.25, mask, { dropout: 0.3, key: keyOf(8) }), a)).toBeGreaterThan(1e-2);
    });
  });

  it('draws the key the global sequence hands out next (the stock bernoulli would draw the same)', () => {
    mx.tidy(() => {
      mx.random.seed(11);
      const fused = mx.fused.attention(q, k, v, 0.25, mask, { dropout: 0.4 });
      mx.random.seed(11);
      const stock = mx.matmul(mx.multiply(mx.softmax(mx.where(mask, mx.matmul(mx.multiply(q, 0.25), mx.swapaxes(k, -1, -2)), -3.4028234663852886e38), -1, true),
        mx.multiply(mx.astype(mx.random.bernoulli(0.6, [2, 3, 9, 9]), 'float32'), 1 / 0.6)), v);
      expect(maxDiff(fused, stock)).toBeLessThan(1e-5);
    });
  });

  it('rejects a probability outside [0, 1), naming it', () => {
    expect(() => mx.fused.attention(q, k, v, 0.25, mask, { dropout: 1 })).toThrow(/dropout probability must be in \[0, 1\) but received 1/);
    expect(() => mx.fused.attention(q, k, v, 0.25, mask, { dropout: -0.1 })).toThrow(RangeError);
    expect(() => nn.scaledDotProductAttention(q, k, v, 0.25, mask, Number.NaN)).toThrow(/dropout probability must be in \[0, 1\) but received NaN/);
    expect(() => new nn.MultiHeadAttention(8, 2, { dropout: 1.5 })).toThrow(/dropout must be in \[0, 1\) but received 1.5/);
  });

  it('what the primitive does not take (grouped heads, float16) is the stock composition with the same mask', () => {
    mx.tidy(() => {
      const kv = mx.random.normal([2, 1, 9, 16], { key: keyOf(4) });
      const gqa = mx.fused.attention(q, kv, kv, 0.25, mask, { dropout: 0.2, key: keyOf(5) });
      expect(graph(gqa)).not.toContain('FusedAttention');
      const wide = mx.repeat(kv, 3, 1);
      expect(maxDiff(gqa, reference(q, wide, wide, 0.25, mask, 0.2, keyOf(5)))).toBeLessThan(1e-5);
      const half = (a: mx.Array) => mx.astype(a, 'float16');
      const h = mx.fused.attention(half(q), half(k), half(v), 0.25, mask, { dropout: 0.2, key: keyOf(5) });
      expect(h.dtype).toBe('float16');
      expect(maxDiff(h, reference(q, k, v, 0.25, mask, 0.2, keyOf(5)))).toBeLessThan(2e-2);
    });
  });

  it('with the fused kernels off, nn.scaledDotProductAttention draws the same mask in stock ops, value and gradients', () => {
    mx.tidy(() => {
      const cot = mx.random.normal([2, 3, 9, 16], { key: keyOf(6) });
      const run = (causal: boolean) => {
        mx.random.seed(21);
        const f = (a: mx.Array, b: mx.Array, c: mx.Array) => nn.scaledDotProductAttention(a, b, c, 0.25, causal ? 'causal' : mask, 0.25);
        const [[out], grads] = mx.vjp(f, [q, k, v], [cot]);
        return { out, grads };
      };
      for (const causal of [false, true]) {
        mx.setFusedKernelsEnabled(true);
        const fused = run(causal);
        expect(graph(fused.out)).toContain('FusedAttention');
        mx.setFusedKernelsEnabled(false);
        const stock = run(causal);
        expect(graph(stock.out).filter((n) => n.startsWith('Fused'))).toEqual([]);
        expect(maxDiff(fused.out, stock.out)).toBeLessThan(1e-5);
        fused.grads.forEach((g, i) => expect(maxDiff(g, stock.grads[i])).toBeLessThan(1e-4));
        mx.random.seed(21);
        const undropped = nn.scaledDotProductAttention(q, k, v, 0.25, causal ? 'causal' : mask);
        expect(maxDiff(fused.out, undropped)).toBeGreaterThan(1e-2);
        // float16 takes the stock composition too, in its own dtype, with the same mask.
        const half = (a: mx.Array) => mx.astype(a, 'float16');
        mx.random.seed(21);
        const h = nn.scaledDotProductAttention(half(q), half(k), half(v), 0.25, causal ? 'causal' : mask, 0.25);
        expect(h.dtype).toBe('float16');
        expect(maxDiff(h, fused.out)).toBeLessThan(2e-2);
      }
    });
  });
});

describe('nn.MultiHeadAttention dropout', () => {
  it('drops attention probabilities in training mode only', () => {
    mx.tidy(() => {
      mx.random.seed(3);
      const layer = new nn.MultiHeadAttention(16, 4, { dropout: 0.5 });
      const x = mx.random.normal([2, 7, 16], { key: keyOf(9) });
      const pad = { attentionMask: mx.array([[1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1, 1]]) };
      expect(layer.toString()).toContain('dropout=0.5');
      const train = layer.forward(x, x, x, pad);
      expect(graph(train)).toContain('FusedDropoutMask');
      layer.eval();
      const evalOut = layer.forward(x, x, x, pad);
      expect(graph(evalOut)).not.toContain('FusedDropoutMask');
      expect(maxDiff(train, evalOut)).toBeGreaterThan(1e-2);
      const noDropout = new nn.MultiHeadAttention(16, 4);
      noDropout.update(layer.parameters());
      expect(bits(noDropout.forward(x, x, x, pad))).toEqual(bits(evalOut));
    });
  });

  it('nn.checkpoint recomputes it with the masks of the forward pass', () => {
    mx.random.seed(6);
    const layer = new nn.MultiHeadAttention(8, 2, { dropout: 0.5 });
    mx.eval(layer.parameters());
    const x = mx.random.normal([2, 6, 8]);
    const ck = nn.checkpoint(layer);
    const flat = (tree: unknown) => mx.treeFlatten(tree).filter(([, g]) => g instanceof mx.Array) as [string, mx.Array][];
    const run = (f: (input: mx.Array) => mx.Array) => {
      const [loss, grads] = nn.valueAndGrad(layer, (input: mx.Array) => mx.mean(mx.square(f(input))))(x);
      mx.eval(loss, ...flat(grads).map(([, g]) => g));
      return [loss, new Map(flat(grads))] as const;
    };
    const start = mx.random.getState();
    const [lossCk, gradsCk] = run((input) => ck(input, input, input));
    mx.random.setState(start);
    const key = mx.random.bits([2]);
    mx.random.setState(key);
    const [loss, grads] = run((input) => layer.forward(input, input, input));
    expect(maxDiff(lossCk, loss)).toBeLessThanOrEqual(1e-6);
    for (const [name, g] of grads) expect(maxDiff(g, gradsCk.get(name)!), name).toBeLessThanOrEqual(1e-5);
    layer.eval();
    const [lossEval] = run((input) => layer.forward(input, input, input));
    expect(maxDiff(lossEval, loss)).toBeGreaterThan(1e-4);
  });
});

describe('models apply their attention dropout', () => {
  const tiny = { vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };
  const ids = mx.astype(mx.random.randint(0, 50, [2, 9], { key: keyOf(12) }), 'int32');
  const attentionMask = mx.array([[1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0, 0, 0]], { dtype: 'int32' });

  const logits = (model: nn.Module) => model.forward(ids, { attentionMask }) as mx.Array;
  // The encoder's hidden states: a new model's logits move little with anything.
  const hidden = (model: nn.Module) => (model as unknown as { bert: nn.Module }).bert.forward(ids, { attentionMask }) as mx.Array;

  it('BERT: attentionProbsDropoutProb drops attention probabilities in training (hidden dropout off)', () => {
    mx.tidy(() => {
      const build = (p: number) => {
        mx.random.seed(8);
        return models.createModel(models.bertConfig('tiny', { ...tiny, hiddenDropoutProb: 0, attentionProbsDropoutProb: p, classifierDropout: 0 }), 'sequence-classification') as nn.Module;
      };
      const model = build(0.5);
      expect(graph(logits(model))).toContain('FusedDropoutMask');
      const out = hidden(model);
      model.eval();
      expect(maxDiff(out, hidden(model))).toBeGreaterThan(1e-2);
      const off = build(0);
      const trainOff = hidden(off);
      expect(graph(trainOff)).not.toContain('FusedDropoutMask');
      off.eval();
      expect(bits(trainOff)).toEqual(bits(hidden(off)));
    });
  });

  it('ModernBERT: attentionDropout reaches the attention probabilities too (as HF, beside the output dropout)', () => {
    mx.tidy(() => {
      mx.random.seed(8);
      const model = models.createModel(models.modernBertConfig('tiny', { ...tiny, localAttention: 4, attentionDropout: 0.3 }), 'sequence-classification') as nn.Module;
      expect(graph(logits(model))).toContain('FusedDropoutMask');
      model.eval();
      expect(graph(logits(model))).not.toContain('FusedDropoutMask');
    });
  });
});
