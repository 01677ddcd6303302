import { describe, expect, it } from 'vitest';
import { mx, models, nn, optim } from '../../src/index.js';
import { expectMatches, fromFixture } from '../helpers/fixtures.js';
import { MINILM_MISSING, minilmDir, modelsFixture } from './reference.js';

const fx = modelsFixture().minilm;

describe.skipIf(!minilmDir)(`all-MiniLM-L6-v2 against transformers' BertModel${minilmDir ? '' : ` (skipped: ${MINILM_MISSING})`}`, () => {
  const loaded = () => models.loadPretrained(minilmDir!);
  const { model, tokenizer, report, config } = loaded();
  const inputIds = fromFixture(fx.input_ids);
  const attentionMask = fromFixture(fx.attention_mask);
  const tokenTypeIds = fromFixture(fx.token_type_ids);

  it('reads config.json into a BertModel with the pooler and no leftover weights', () => {
    expect(model).toBeInstanceOf(models.BertModel);
    expect(config).toMatchObject({ modelType: 'bert', hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536, layerNormEps: 1e-12 });
    expect(report).toEqual({ newlyInitialized: [], unused: [] });
    expect(model.training).toBe(false);
  });

  it("the folder's tokenizer gives transformers' token ids", () => {
    // The folder's tokenizer.json pads to a fixed 128; transformers' reference padded to the longest.
    const enc = tokenizer!.enablePadding({ padId: 0 }).encodeBatch(fx.sentences);
    expect(enc.map((e) => e.ids)).toEqual(inputIds.toList());
    expect(enc.map((e) => e.attentionMask)).toEqual(attentionMask.toList());
  });

  it('last hidden state matches to 1e-4 (every token, padding included, features 0..24)', () => {
    const hidden = model.forward(inputIds, { attentionMask, tokenTypeIds });
    const [b, t] = inputIds.shape;
    const [lo, hi] = fx.hidden_slice.features;
    expectMatches(mx.slice(hidden, [0, 0, lo], [b, t, hi]), fx.hidden_slice.value, { atol: 1e-4, rtol: 0, label: 'last_hidden_state' });
  });

  it('mean-pooled sentence embeddings match to 1e-4', () => {
    const hidden = model.forward(inputIds, { attentionMask, tokenTypeIds });
    expectMatches(models.meanPool(hidden, attentionMask), fx.mean_pooled, { atol: 1e-4, rtol: 0, label: 'mean pooled' });
  });

  it('pooler output matches to 1e-4', () => {
    const pooled = (model as models.BertModel).poolerOutput(model.forward(inputIds, { attentionMask }));
    const [lo, hi] = fx.pooler_slice.features;
    expectMatches(mx.slice(pooled, [0, lo], [inputIds.shape[0], hi]), fx.pooler_slice.value, { atol: 1e-4, rtol: 0, label: 'pooler' });
  });

  it('a text pair uses the token-type embeddings as transformers does', () => {
    const enc = tokenizer!.noPadding().encode(fx.pair.texts);
    const ids = fromFixture(fx.pair.input_ids);
    const types = fromFixture(fx.pair.token_type_ids);
    expect([enc.ids]).toEqual(ids.toList());
    expect([enc.typeIds]).toEqual(types.toList());
    const hidden = model.forward(ids, { tokenTypeIds: types });
    expectMatches(mx.slice(hidden, [0, 0, 0], [1, 1, 24]).reshape([1, 24]), fx.pair.cls_hidden_slice, { atol: 1e-4, rtol: 0, label: 'pair [CLS]' });
  });

  it('a classifier on the pretrained encoder gets a fresh head and runs', () => {
    const { model: clf, report: r } = models.loadPretrained(minilmDir!, { task: 'sequence-classification', numLabels: 3 });
    expect(clf).toBeInstanceOf(models.BertForSequenceClassification);
    expect([...r.newlyInitialized].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    const logits = clf.forward(inputIds, { attentionMask, tokenTypeIds });
    expect(logits.shape).toEqual([inputIds.shape[0], 3]);
    // The encoder inside the classifier holds the same pretrained weights.
    const enc = (clf as models.BertForSequenceClassification).bert.forward(inputIds, { attentionMask, tokenTypeIds });
    expectMatches(models.meanPool(enc, attentionMask), fx.mean_pooled, { atol: 1e-4, rtol: 0, label: 'classifier encoder' });
  });
});

describe('BERT from a size preset', () => {
  it.each([
    ['tiny', 2, 128, 2, 512],
    ['mini', 4, 256, 4, 1024],
    ['small', 4, 512, 8, 2048],
    ['base', 12, 768, 12, 3072],
  ] as const)('%s has %i layers, hidden %i, %i heads, FFN %i', (size, layers, hidden, heads, ffn) => {
    const c = models.bertConfig(size, { vocabSize: 1000 });
    expect(c).toMatchObject({ numHiddenLayers: layers, hiddenSize: hidden, numAttentionHeads: heads, intermediateSize: ffn, vocabSize: 1000 });
    if (size !== 'tiny') return;
    const m = new models.BertModel(c);
    expect(m.layers).toHaveLength(layers);
    // embeddings (word + position + type + norm) + layers + pooler, counted from the config.
    const h = hidden;
    const perLayer = 4 * (h * h + h) + 2 * 2 * h + (h * ffn + ffn) + (ffn * h + h);
    const expected = (1000 + 512 + 2) * h + 2 * h + layers * perLayer + (h * h + h);
    expect(m.numParameters()).toBe(expected);
  });

  it('a classifier trains: loss falls on a tiny batch with padding', () => {
    mx.random.seed(0);
    const clf = new models.BertForSequenceClassification(models.bertConfig('tiny', { vocabSize: 50, numLabels: 2, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, numHiddenLayers: 1 }));
    const ids = mx.array(Int32Array.from([2, 5, 7, 9, 3, 2, 11, 13, 3, 0]), { shape: [2, 5] });
    const mask = mx.array(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), { shape: [2, 5] });
    const labels = mx.array(Int32Array.from([0, 1]));
    const lossFn = (m: models.BertForSequenceClassification) => nn.losses.crossEntropy(m.forward(ids, { attentionMask: mask }), labels, { reduction: 'mean' });
    const step = nn.valueAndGrad(clf, lossFn);
    const first = (step(clf)[0] as mx.Array).item() as number;
    const opt = new optim.Adam({ learningRate: 1e-3 });
    let last = first;
    for (let i = 0; i < 30; i++) {
      const [loss, grads] = step(clf);
      last = (loss as mx.Array).item() as number;
      opt.update(clf, grads);
    }
    expect(last).toBeLessThan(first * 0.5);
  });

  it('rejects bad inputs with the shapes named', () => {
    const m = new models.BertModel(models.bertConfig('tiny', { vocabSize: 50, maxPositionEmbeddings: 8 }));
    expect(() => m.forward(mx.zeros([2, 3]))).toThrow(/expected integer token ids but received float32/);
    expect(() => m.forward(mx.zeros([6], 'int32'))).toThrow(/shape \[batch, length\] but received \[6\]/);
    expect(() => m.forward(mx.zeros([1, 9], 'int32'))).toThrow(/sequence length 9 exceeds max_position_embeddings \(8\)/);
    expect(() => m.forward(mx.zeros([2, 3], 'int32'), { attentionMask: mx.ones([2, 4], 'int32') })).toThrow(/attentionMask \[2, ?4\] does not match the token ids \[2, ?3\]/);
  });
});
