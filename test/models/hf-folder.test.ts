import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mx, models } from '../../src/index.js';
import { expectMatches, fromFixture } from '../helpers/fixtures.js';
import {
  hasTransformers, maxAbsDiff, MINILM_MISSING, minilmDir, modelsFixture, runTransformers, tinyModernBertDir, TRANSFORMERS_MISSING, type HfRequest, type HfResult,
} from './reference.js';

const fx = modelsFixture();
const work = mkdtempSync(join(tmpdir(), 'mlxt-models-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
/** A copy of the tiny ModernBERT folder to break in one way. */
function tinyCopy(): string {
  const dir = join(work, `case-${counter++}`);
  mkdirSync(dir);
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(tinyModernBertDir, f), join(dir, f));
  return dir;
}
const tinyConfig = () => JSON.parse(readFileSync(join(tinyModernBertDir, 'config.json'), 'utf8'));
const writeConfig = (dir: string, json: unknown) => writeFileSync(join(dir, 'config.json'), JSON.stringify(json));
const nested = (a: mx.Array) => a.toList() as number[][];

describe('sharded checkpoints', () => {
  it('loads model.safetensors.index.json + shards with the same outputs', () => {
    const dir = join(work, 'sharded');
    mkdirSync(dir);
    copyFileSync(join(tinyModernBertDir, 'config.json'), join(dir, 'config.json'));
    const { arrays } = mx.loadSafetensors(join(tinyModernBertDir, 'model.safetensors'));
    const names = Object.keys(arrays).sort();
    const half = Math.ceil(names.length / 2);
    const shards = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((group, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      mx.saveSafetensors(join(dir, file), Object.fromEntries(group.map((n) => [n, arrays[n]])), { format: 'pt' });
      for (const n of group) weightMap[n] = file;
    });
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const { model } = models.loadPretrained(dir);
    const ids = fromFixture(fx.modernbert.input_ids);
    expectMatches(model.forward(ids, { attentionMask: fromFixture(fx.modernbert.attention_mask) }), fx.modernbert.logits, { atol: 1e-4, rtol: 0, label: 'sharded logits' });
  });
});

describe('older checkpoint layouts', () => {
  it("reads LayerNorm gamma/beta names and a 'bert.' prefix (BertForPreTraining checkpoints) into a BertModel", () => {
    mx.random.seed(5);
    const bert = new models.BertModel(models.bertConfig('tiny', { vocabSize: 40, numHiddenLayers: 1 })).eval();
    const saved = join(work, 'bert-legacy');
    models.savePretrained(bert, saved);
    const { arrays } = mx.loadSafetensors(join(saved, 'model.safetensors'));
    const renamed = Object.fromEntries(Object.entries(arrays).map(([k, v]) => [`bert.${k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')}`, v]));
    expect(Object.keys(renamed)).toContain('bert.embeddings.LayerNorm.gamma');
    renamed['cls.predictions.bias'] = mx.zeros([40]);
    mx.saveSafetensors(join(saved, 'model.safetensors'), renamed, { format: 'pt' });
    const { model, report } = models.loadPretrained(saved);
    expect(report.unused).toEqual(['cls.predictions.bias']);
    const ids = mx.array(Int32Array.from([3, 9, 27, 1]), { shape: [1, 4] });
    expect(maxAbsDiff(model.forward(ids).toList(), bert.forward(ids).toList())).toBe(0);
  });
});

describe.skipIf(!hasTransformers)(`saved folders load in Hugging Face transformers${hasTransformers ? '' : ` (skipped: ${TRANSFORMERS_MISSING})`}`, () => {
  // Every folder is written first and transformers runs once on all of them (importing torch takes seconds).
  const checks: { name: string; ours: () => unknown; request: HfRequest }[] = [];
  let results: HfResult[] = [];
  const result = (name: string) => results[checks.findIndex((c) => c.name === name)];

  beforeAll(() => {
    const tiny = models.loadPretrained(tinyModernBertDir).model;
    const tinyIds = fromFixture(fx.modernbert.input_ids);
    const tinyMask = fromFixture(fx.modernbert.attention_mask);
    models.savePretrained(tiny, join(work, 'modernbert-resaved'));
    checks.push({
      name: 'tiny', ours: () => tiny.forward(tinyIds, { attentionMask: tinyMask }).toList(),
      request: { dir: join(work, 'modernbert-resaved'), task: 'sequence-classification', input_ids: nested(tinyIds), attention_mask: nested(tinyMask) },
    });

    mx.random.seed(3);
    const bert = new models.BertForSequenceClassification(models.bertConfig('tiny', { vocabSize: 120, numLabels: 3, id2label: { 0: 'neg', 1: 'neutral', 2: 'pos' } })).eval();
    const modern = new models.ModernBertForSequenceClassification(models.modernBertConfig('tiny', { vocabSize: 120, numLabels: 2, numHiddenLayers: 3, localAttention: 4, classifierPooling: 'cls' })).eval();
    const ids = mx.array(Int32Array.from([1, 17, 33, 95, 4, 61, 2, 1, 44, 12, 2, 0, 0, 0]), { shape: [2, 7] });
    const mask = mx.array(Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]), { shape: [2, 7] });
    const types = mx.array(Int32Array.from([0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), { shape: [2, 7] });
    models.savePretrained(bert, join(work, 'bert-fresh'));
    models.savePretrained(modern, join(work, 'modernbert-fresh'));
    checks.push({
      name: 'bert', ours: () => bert.forward(ids, { attentionMask: mask, tokenTypeIds: types }).toList(),
      request: { dir: join(work, 'bert-fresh'), task: 'sequence-classification', input_ids: nested(ids), attention_mask: nested(mask), token_type_ids: nested(types) },
    });
    checks.push({
      name: 'modern', ours: () => modern.forward(ids, { attentionMask: mask }).toList(),
      request: { dir: join(work, 'modernbert-fresh'), task: 'sequence-classification', input_ids: nested(ids), attention_mask: nested(mask) },
    });

    if (minilmDir) {
      const minilm = models.loadPretrained(minilmDir).model;
      const mIds = fromFixture(fx.minilm.input_ids);
      const mMask = fromFixture(fx.minilm.attention_mask);
      models.savePretrained(minilm, join(work, 'minilm-resaved'));
      checks.push({
        name: 'minilm', ours: () => minilm.forward(mIds, { attentionMask: mMask }).toList(),
        request: { dir: join(work, 'minilm-resaved'), task: 'base', input_ids: nested(mIds), attention_mask: nested(mMask), texts: fx.minilm.sentences },
      });
    }
    results = runTransformers(checks.map((c) => c.request));
  });

  const expectSame = (name: string, architecture: string) => {
    const res = result(name);
    expect(res).toMatchObject({ architecture, missing_keys: [], unexpected_keys: [], mismatched_keys: [] });
    expect(maxAbsDiff(res.output, checks.find((c) => c.name === name)!.ours())).toBeLessThan(1e-4);
  };

  it('a loaded-then-saved tiny ModernBERT classifier gives the same logits in transformers', () => {
    expectSame('tiny', 'ModernBertForSequenceClassification');
    // And it reads back here with the same config.
    expect(models.loadPretrained(join(work, 'modernbert-resaved')).config).toEqual(models.loadPretrained(tinyModernBertDir).config);
  });

  it('a fresh BERT classifier from a preset saves to a folder transformers runs identically (labels kept)', () => {
    expectSame('bert', 'BertForSequenceClassification');
    expect(JSON.parse(readFileSync(join(work, 'bert-fresh', 'config.json'), 'utf8')).id2label).toEqual({ 0: 'neg', 1: 'neutral', 2: 'pos' });
  });

  it('a fresh ModernBERT classifier (CLS pooling, sliding window) saves to a folder transformers runs identically', () => {
    expectSame('modern', 'ModernBertForSequenceClassification');
  });

  it.skipIf(!minilmDir)(`all-MiniLM-L6-v2 saved by us loads in transformers with identical outputs and tokenizer${minilmDir ? '' : ` (skipped: ${MINILM_MISSING})`}`, () => {
    expectSame('minilm', 'BertModel');
    // The copied tokenizer files tokenize as the original did.
    const ids = nested(fromFixture(fx.minilm.input_ids));
    const mask = nested(fromFixture(fx.minilm.attention_mask));
    expect(result('minilm').ids).toEqual(ids.map((row, i) => row.slice(0, mask[i].reduce((a, v) => a + v, 0))));
  });
});

describe('malformed checkpoint folders give errors naming the file, key or shape', () => {
  const cases: [string, () => string, RegExp][] = [
    ['a folder that does not exist', () => join(work, 'nope'), /nope: no such checkpoint folder/],
    ['a file instead of a folder', () => join(tinyModernBertDir, 'config.json'), /config\.json: expected a checkpoint folder .* but this is a file/],
    ['no config.json', () => {
      const d = tinyCopy();
      rmSync(join(d, 'config.json'));
      return d;
    }, /case-\d+: missing config\.json/],
    ['config.json that is not JSON', () => {
      const d = tinyCopy();
      writeFileSync(join(d, 'config.json'), '{"model_type": "bert",');
      return d;
    }, /config\.json: invalid JSON/],
    ['config.json without model_type', () => {
      const d = tinyCopy();
      const { model_type: _, ...rest } = tinyConfig();
      writeConfig(d, rest);
      return d;
    }, /config\.json: missing config key 'model_type'/],
    ['an unknown model_type', () => {
      const d = tinyCopy();
      writeConfig(d, { ...tinyConfig(), model_type: 'gpt2' });
      return d;
    }, /unknown model_type 'gpt2' \(string\): mlx-train reads 'bert' and 'modernbert'/],
    ['a missing required key', () => {
      const d = tinyCopy();
      const { hidden_size: _, ...rest } = tinyConfig();
      writeConfig(d, rest);
      return d;
    }, /config\.json: missing config key 'hidden_size'/],
    ['a key of the wrong type', () => {
      const d = tinyCopy();
      writeConfig(d, { ...tinyConfig(), num_attention_heads: '2' });
      return d;
    }, /config key 'num_attention_heads' must be a number but is '2' \(string\)/],
    ['an unsupported BERT position embedding', () => {
      const d = tinyCopy();
      writeConfig(d, { model_type: 'bert', vocab_size: 10, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, position_embedding_type: 'relative_key' });
      return d;
    }, /'position_embedding_type' is 'relative_key'; only 'absolute'/],
    ['no weights at all', () => {
      const d = tinyCopy();
      rmSync(join(d, 'model.safetensors'));
      return d;
    }, /holds no weights: expected model\.safetensors or model\.safetensors\.index\.json/],
    ['PyTorch pytorch_model.bin only', () => {
      const d = tinyCopy();
      rmSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, 'pytorch_model.bin'), 'PK');
      return d;
    }, /PyTorch weights \(pytorch_model\.bin\) only.*python -c "import torch; from safetensors\.torch import save_file/],
    ['a truncated model.safetensors', () => {
      const d = tinyCopy();
      const f = join(d, 'model.safetensors');
      truncateSync(f, readFileSync(f).length - 100);
      return d;
    }, /model\.safetensors: truncated: tensor '[\w.]+' ends at data byte \d+ but the file holds only \d+ data bytes/],
    ['a file that is not safetensors', () => {
      const d = tinyCopy();
      writeFileSync(join(d, 'model.safetensors'), 'this is not a safetensors file at all');
      return d;
    }, /model\.safetensors: not a safetensors file or truncated: the header claims \d+ bytes/],
    ['weights of another size (intermediate_size changed)', () => {
      const d = tinyCopy();
      writeConfig(d, { ...tinyConfig(), intermediate_size: 32 });
      return d;
    }, /mis-shaped 6 tensor\(s\):\n {2}model\.layers\.0\.mlp\.Wi\.weight: expected shape \[64, ?16\] but found \[48, ?16\]/],
    ['a missing tensor', () => {
      const d = tinyCopy();
      const { arrays } = mx.loadSafetensors(join(tinyModernBertDir, 'model.safetensors'));
      delete arrays['model.layers.1.attn.Wqkv.weight'];
      mx.saveSafetensors(join(d, 'model.safetensors'), arrays, { format: 'pt' });
      return d;
    }, /missing 1 tensor\(s\):\n {2}model\.layers\.1\.attn\.Wqkv\.weight \(model\.layers\.1\.attention\.qkvProj\.weight\) \[48, ?16\]/],
    ['a shard index naming a file that is not there', () => {
      const d = tinyCopy();
      rmSync(join(d, 'model.safetensors'));
      writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'model.final_norm.weight': 'model-00001-of-00002.safetensors' } }));
      return d;
    }, /model\.safetensors\.index\.json: the shard 'model-00001-of-00002\.safetensors' listed for 'model\.final_norm\.weight' does not exist/],
    ['a shard index without weight_map', () => {
      const d = tinyCopy();
      writeFileSync(join(d, 'model.safetensors.index.json'), JSON.stringify({ metadata: {} }));
      return d;
    }, /model\.safetensors\.index\.json: expected a 'weight_map' object/],
    ['id2label that disagrees with num_labels', () => {
      const d = tinyCopy();
      writeConfig(d, { ...tinyConfig(), num_labels: 5 });
      return d;
    }, /'id2label' has 3 labels but num_labels is 5/],
  ];

  it.each(cases)('%s', (_name, make, message) => {
    const dir = make();
    let caught: unknown;
    try {
      models.loadPretrained(dir);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(models.CheckpointError);
    expect((caught as Error).message).toMatch(message);
    expect((caught as { code: string }).code).toBe('CHECKPOINT_ERROR');
  });

  it('misspelled options are named', () => {
    expect(() => models.loadPretrained(tinyModernBertDir, { numLabel: 3 } as never)).toThrow(/loadPretrained: unknown option 'numLabel' \(expected one of task, numLabels, config, dropout, dtype, tokenizer, quantize\)/);
  });

  it('a wrong numLabels for a pretrained head re-initialises only the classifier', () => {
    const { model, report } = models.loadPretrained(tinyModernBertDir, { numLabels: 5 });
    expect([...report.newlyInitialized].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    expect(model.forward(fromFixture(fx.modernbert.input_ids)).shape).toEqual([3, 5]);
  });
});
