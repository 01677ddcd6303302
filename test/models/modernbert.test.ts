import { describe, expect, it } from 'vitest';
import { mx, models } from '../../src/index.js';
import { expectMatches, fromFixture } from '../helpers/fixtures.js';
import { modelsFixture, tinyModernBertDir } from './reference.js';

const fx = modelsFixture().modernbert;

describe("a tiny random ModernBERT against transformers' ModernBertForSequenceClassification", () => {
  const { model, config, report, tokenizer } = models.loadPretrained(tinyModernBertDir);
  const clf = model as models.ModernBertForSequenceClassification;
  const inputIds = fromFixture(fx.input_ids);
  const attentionMask = fromFixture(fx.attention_mask);

  it('reads the transformers-5 config (layer_types, rope_parameters, local_attention)', () => {
    expect(clf).toBeInstanceOf(models.ModernBertForSequenceClassification);
    expect(config).toMatchObject({
      modelType: 'modernbert', hiddenSize: 16, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 24, numLabels: 3,
      layerTypes: fx.layer_types, localAttention: 4, globalRopeTheta: 160000, localRopeTheta: 10000, classifierPooling: 'mean', normBias: false,
    });
    expect(report).toEqual({ newlyInitialized: [], unused: [] });
    expect(tokenizer).toBeNull();
    // Layer 0 has no attention norm, as in HF.
    expect(clf.model.layers[0].attentionNorm).toBeUndefined();
    expect(clf.model.layers[1].attentionNorm).toBeDefined();
  });

  it('last hidden state matches at every real token to 1e-4 (global + sliding-window layers, padding)', () => {
    const hidden = clf.model.forward(inputIds, { attentionMask });
    const keep = mx.expandDims(mx.notEqual(attentionMask, 0), -1);
    expectMatches(mx.where(keep, hidden, mx.zeros([])), fx.hidden_masked, { atol: 1e-4, rtol: 0, label: 'last_hidden_state' });
  });

  it('matches without an attention mask too', () => {
    const ids = mx.slice(inputIds, [0, 0], [1, inputIds.shape[1]]);
    expectMatches(clf.model.forward(ids), fx.hidden_unpadded_first, { atol: 1e-4, rtol: 0, label: 'unpadded' });
  });

  it('classification logits (mean pooling, head, classifier) match to 1e-4', () => {
    expectMatches(clf.forward(inputIds, { attentionMask }), fx.logits, { atol: 1e-4, rtol: 0, label: 'logits' });
  });

  it('the local window is in effect: all-global layers give other outputs', () => {
    const global = models.createModel({ ...(config as models.ModernBertConfig), layerTypes: ['full_attention', 'full_attention', 'full_attention'] }, 'sequence-classification');
    global.update(clf.parameters());
    const diff = mx.max(mx.abs(mx.subtract(global.forward(inputIds, { attentionMask }), clf.forward(inputIds, { attentionMask })))).item() as number;
    expect(diff).toBeGreaterThan(1e-3);
  });
});

describe('ModernBERT from a size preset', () => {
  it('alternates global and local layers every 3rd layer and runs a padded batch', () => {
    const c = models.modernBertConfig('mini', { vocabSize: 100, numLabels: 4 });
    expect(c).toMatchObject({ numHiddenLayers: 4, hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024, localAttention: 128 });
    expect(c.layerTypes).toEqual(['full_attention', 'sliding_attention', 'sliding_attention', 'full_attention']);
    const m = new models.ModernBertForSequenceClassification(c);
    const ids = mx.array(Int32Array.from([5, 6, 7, 8, 9, 10, 0, 0]), { shape: [2, 4] });
    const mask = mx.array(Int32Array.from([1, 1, 1, 1, 1, 1, 0, 0]), { shape: [2, 4] });
    const logits = m.eval().forward(ids, { attentionMask: mask });
    expect(logits.shape).toEqual([2, 4]);
    expect(Array.from(logits.toTypedArray() as Float32Array).every(Number.isFinite)).toBe(true);
    // No biases anywhere in the encoder by default.
    expect(mx.treeFlatten(m.model.parameters()).some(([k]) => k.endsWith('.bias'))).toBe(false);
  });

  it('rejects configs that cannot work, naming the key', () => {
    expect(() => models.modernBertConfig('tiny', { numAttentionHeads: 3 })).toThrow(/'hidden_size' \(128\) must be divisible by num_attention_heads \(3\)/);
    expect(() => models.modernBertConfig('tiny', { layerTypes: ['full_attention'] })).toThrow(/'layer_types' has 1 entries but num_hidden_layers is 2/);
    expect(() => models.bertConfig('tiny', { hiddenAct: 'swiglu' })).toThrow(/'hidden_act' names an activation we lack: 'swiglu'/);
    expect(() => models.bertConfig('huge' as models.SizePreset)).toThrow(/expected one of tiny, mini, small, base for the size preset but received 'huge'/);
  });
});
