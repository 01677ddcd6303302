import { describe, expect, it } from 'vitest';
import { mx, models } from '../../src/index.js';

describe('config.json ↔ config', () => {
  const oldStyle = {
    model_type: 'modernbert', vocab_size: 50368, hidden_size: 768, num_hidden_layers: 22, num_attention_heads: 12, intermediate_size: 1152,
    global_attn_every_n_layers: 3, local_attention: 128, global_rope_theta: 160000.0, local_rope_theta: 10000.0, classifier_pooling: 'mean',
    architectures: ['ModernBertForMaskedLM'], transformers_version: '4.48.0',
  };

  it('reads the ModernBERT-base style keys (global_attn_every_n_layers, global/local_rope_theta)', () => {
    const c = models.configFromHf(oldStyle) as models.ModernBertConfig;
    expect(c.layerTypes).toHaveLength(22);
    expect(c.layerTypes.filter((t) => t === 'full_attention')).toHaveLength(8);
    expect(c.layerTypes.slice(0, 4)).toEqual(['full_attention', 'sliding_attention', 'sliding_attention', 'full_attention']);
    expect(c).toMatchObject({ localAttention: 128, globalRopeTheta: 160000, localRopeTheta: 10000, classifierPooling: 'mean', normBias: false, attentionBias: false });
    // Keys we do not use are kept for saving.
    expect(c.extra).toMatchObject({ transformers_version: '4.48.0' });
  });

  it('writes keys that read back to the same config, floats as floats', () => {
    const c = models.configFromHf(oldStyle);
    const json = models.configToHf(c, 'ModernBertForSequenceClassification');
    expect(json).toMatchObject({ architectures: ['ModernBertForSequenceClassification'], global_attn_every_n_layers: 3, local_attention: 128 });
    const again = models.configFromHf(JSON.parse(models.stringifyHfConfig(json)));
    // Only id2label differs: saving writes HF's default LABEL_i names.
    expect({ ...again, extra: {}, id2label: undefined }).toEqual({ ...c, extra: {}, id2label: undefined });
    expect(again.id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1' });
    expect(models.stringifyHfConfig({ norm_eps: 1, rope_parameters: { x: { rope_theta: 10000 } }, hidden_size: 8 })).toMatch(/"norm_eps": 1\.0,[\s\S]*"rope_theta": 10000\.0[\s\S]*"hidden_size": 8\n/);
  });

  it('fills BERT defaults the way transformers does', () => {
    const c = models.configFromHf({ model_type: 'bert', vocab_size: 100, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 64 }) as models.BertConfig;
    expect(c).toMatchObject({ hiddenAct: 'gelu', layerNormEps: 1e-12, maxPositionEmbeddings: 512, typeVocabSize: 2, numLabels: 2, classifierPooling: 'cls' });
  });
});

describe('weight names', () => {
  const cases: [string, models.PretrainedModel, models.Task][] = [
    ['BertModel', new models.BertModel(models.bertConfig('tiny', { vocabSize: 10 })), 'base'],
    ['BertForSequenceClassification', new models.BertForSequenceClassification(models.bertConfig('tiny', { vocabSize: 10 })), 'sequence-classification'],
    ['ModernBertModel', new models.ModernBertModel(models.modernBertConfig('tiny', { vocabSize: 10 })), 'base'],
    ['ModernBertForSequenceClassification', new models.ModernBertForSequenceClassification(models.modernBertConfig('tiny', { vocabSize: 10 })), 'sequence-classification'],
  ];

  it.each(cases)('every %s parameter has a distinct HF name that maps back', (_name, model, task) => {
    const paths = mx.treeFlatten(model.parameters()).map(([k]) => k);
    const hf = paths.map((p) => models.toHfName(p, model.config.modelType, task));
    expect(hf.every((n) => typeof n === 'string')).toBe(true);
    expect(new Set(hf).size).toBe(paths.length);
    expect(hf.map((n) => models.fromHfName(n!, model.config.modelType, task))).toEqual(paths);
  });

  it('uses the transformers names', () => {
    expect(models.toHfName('layers.3.attention.queryProj.weight', 'bert', 'base')).toBe('encoder.layer.3.attention.self.query.weight');
    expect(models.toHfName('bert.layers.0.ln2.bias', 'bert', 'sequence-classification')).toBe('bert.encoder.layer.0.output.LayerNorm.bias');
    expect(models.toHfName('model.layers.11.mlp.inputProj.weight', 'modernbert', 'sequence-classification')).toBe('model.layers.11.mlp.Wi.weight');
    expect(models.fromHfName('cls.predictions.bias', 'bert', 'base')).toBeUndefined();
  });
});

describe('attention masks', () => {
  it('the sliding window allows |i - j| ≤ half window, and padding removes keys', () => {
    const t = 7;
    const half = 2;
    const attention = mx.array(Int32Array.from([1, 1, 1, 1, 1, 0, 0]), { shape: [1, t] });
    const mask = models.slidingWindowAttentionMask(t, half, attention);
    expect(mask.shape).toEqual([1, 1, t, t]);
    const values = (mask.toList() as number[][][][])[0][0];
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < t; j++) {
        const allowed = Math.abs(i - j) <= half && j < 5;
        expect(values[i][j] === 0, `(${i}, ${j})`).toBe(allowed);
        if (!allowed) expect(values[i][j]).toBeLessThan(-1e38);
      }
    }
  });

  it('mean pooling ignores padding', () => {
    const hidden = mx.array(Float32Array.from([1, 2, 3, 4, 100, 100]), { shape: [1, 3, 2] });
    const mask = mx.array(Int32Array.from([1, 1, 0]), { shape: [1, 3] });
    expect(models.meanPool(hidden, mask).toList()).toEqual([[2, 3]]);
    expect(() => models.meanPool(hidden, mx.ones([1, 4], 'int32'))).toThrow(/attention mask \[1, ?4\] does not match the hidden states \[1, ?3, ?2\]/);
  });
});
