/**
 * src/trainer/model-setup.ts on the real all-MiniLM-L6-v2 checkpoint: the checkpoint is read once (the
 * setup peak stays near one float model even when the head and pooling differ from the checkpoint's),
 * 4-bit setup quantizes while loading (its peak is well below the float model's), and the weights it
 * produces are exactly those of loading in float and quantizing afterwards (mlx's quantize on the same
 * tensors).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { parseConfig } from '../../src/config/load.js';
import { BertForSequenceClassification, bertConfig, loadPretrained, savePretrained } from '../../src/models/index.js';
import { treeFlatten } from '../../src/core/tree.js';
import { applyAdapters, buildModel, pretrainedTokenizer } from '../../src/trainer/model-setup.js';
import { MINILM_MISSING, minilmDir } from '../models/reference.js';

const config = (quantized: boolean, lora = true) => parseConfig({
  model: { pretrained: minilmDir!, pooling: 'mean' },
  training: { quantization: { enabled: quantized, bits: 4, groupSize: 64 }, lora: { enabled: lora, rank: 8, alpha: 16, targetModules: ['query', 'value'] } },
});
const info = { vocabSize: 30522, numLabels: 2, padTokenId: 0 };
const arraysOf = (m: nn.Module) => (treeFlatten(m.parameters()) as [string, unknown][]).filter(([, v]) => v instanceof mx.Array) as [string, mx.Array][];

/** Peak MLX memory above what was live before, while `build` runs; the model is freed afterwards. */
function setupPeakBytes(build: () => nn.Module): { peak: number; bytes: number } {
  const before = mx.getActiveMemory();
  mx.resetPeakMemory();
  const model = build();
  const peak = mx.getPeakMemory() - before;
  const bytes = arraysOf(model).reduce((n, [, a]) => n + a.nbytes, 0);
  mx.dispose(arraysOf(model).map(([, a]) => a));
  return { peak, bytes };
}

describe.skipIf(!minilmDir)(`model setup from all-MiniLM-L6-v2${minilmDir ? '' : ` (skipped: ${MINILM_MISSING})`}`, () => {
  it('reads the checkpoint once and quantizes while loading: 4-bit setup peaks well below the fp32 setup', () => {
    const fp32 = setupPeakBytes(() => buildModel(config(false), info));
    const q4 = setupPeakBytes(() => buildModel(config(true), info));
    // The checkpoint (a bare BertModel: no head, [CLS] pooling) differs from the mean-pooled classifier asked
    // for; reading it twice would peak at two float models.
    expect(fp32.peak).toBeLessThan(fp32.bytes * 1.25);
    // Word embeddings (30522 × 384 floats, 47 MB) stay float, so the 4-bit model is ~60% of the float one;
    // its setup must not pass through the float model.
    expect(q4.bytes).toBeLessThan(fp32.bytes * 0.7);
    expect(q4.peak).toBeLessThan(fp32.bytes * 0.8);
    expect(q4.peak).toBeLessThan(fp32.peak * 0.75);
  }, 120_000);

  it('quantize-while-loading gives exactly the weights of loading in float and quantizing afterwards', () => {
    const c = config(true, false);
    const direct = buildModel(c, info);
    const reference = loadPretrained(minilmDir!, { task: 'sequence-classification', numLabels: 2, tokenizer: false, config: { classifierPooling: 'mean' } }).model;
    applyAdapters(reference, c);
    const got = new Map(arraysOf(direct));
    const want = arraysOf(reference).filter(([k]) => !k.startsWith('classifier.'));
    expect(want.length).toBeGreaterThan(100);
    const quantizedLayers = [...direct.namedModules()].filter(([, m]) => m instanceof nn.QuantizedLinear).length;
    // Six Linear layers in each of the 6 encoder layers, plus the pooler's dense (the head stays float).
    expect(quantizedLayers).toBe(6 * 6 + 1);
    for (const [k, v] of want) {
      const a = got.get(k);
      expect(a, k).toBeDefined();
      expect(a!.dtype, k).toBe(v.dtype);
      expect(a!.shape, k).toEqual(v.shape);
      expect(mx.arrayEqual(a!, v).item(), k).toBe(true);
    }
  }, 120_000);

  it('keeps the checkpoint tokenizer and names a missing folder', () => {
    expect(pretrainedTokenizer(minilmDir!)?.vocabSize).toBe(30522);
    expect(() => pretrainedTokenizer('/nonexistent/minilm')).toThrow(/no such checkpoint folder/);
  });
});

describe('model.gradientCheckpointing reaches the model', () => {
  const fresh = (on: boolean) => parseConfig({ model: { architecture: 'bert', size: 'tiny', gradientCheckpointing: on } });
  const flag = (m: nn.Module) => (m as unknown as { config: { gradientCheckpointing?: boolean } }).config.gradientCheckpointing;

  it('for a model built from a size preset', () => {
    expect(flag(buildModel(fresh(true), info))).toBe(true);
    expect(flag(buildModel(fresh(false), info))).toBe(false);
  });

  it.skipIf(!minilmDir)('for a pretrained checkpoint, in float and quantized while loading', () => {
    for (const quantized of [false, true]) {
      const c = config(quantized, false);
      c.model.gradientCheckpointing = true;
      const m = buildModel(c, info);
      expect(flag(m), `quantized=${quantized}`).toBe(true);
      mx.dispose(arraysOf(m).map(([, a]) => a));
    }
  });
});

// `model.dropout` on checkpoints: it had been applied only to models trained from scratch, so a fine-tune
// config's `dropout: 0.0` left a checkpoint's 0.1 in place. Small checkpoints written here and the
// committed ModernBERT fixture; each case fails if the setting is ignored.
describe('model.dropout reaches the model, new or loaded from a checkpoint', () => {
  const dropouts = (m: nn.Module) => [...m.namedModules()].filter(([, x]) => x instanceof nn.Dropout).map(([k, x]) => [k, (x as nn.Dropout).p] as const);
  const tinyInfo = { vocabSize: 64, numLabels: 2, padTokenId: 0 };
  const bertDir = mkdtempSync(join(tmpdir(), 'mlxt-dropout-'));
  afterAll(() => rmSync(bertDir, { recursive: true, force: true }));
  // A BERT checkpoint whose config.json says 0.1 everywhere (hidden, attention probabilities, head).
  savePretrained(new BertForSequenceClassification(bertConfig('tiny', { vocabSize: 64, maxPositionEmbeddings: 16, numLabels: 2 })), bertDir);
  const build = (dir: string, dropout: number | null) => buildModel(parseConfig({ model: { pretrained: dir, dropout } }), tinyInfo);

  it('a BERT checkpoint takes model.dropout for its hidden-state and head dropout; null keeps config.json’s', () => {
    const kept = dropouts(build(bertDir, null));
    expect(kept.length).toBe(4); // embeddings, each of the 2 layers, the head
    expect(new Set(kept.map(([, p]) => p))).toEqual(new Set([0.1]));
    for (const p of [0, 0.3]) {
      const set = dropouts(build(bertDir, p));
      expect(set.map(([k]) => k)).toEqual(kept.map(([k]) => k));
      expect(new Set(set.map(([, q]) => q))).toEqual(new Set([p]));
    }
  });

  it('and the attention-probability dropout of each layer the same way (config.json’s attention_probs_dropout_prob with null)', () => {
    const attention = (m: nn.Module) => [...m.namedModules()].filter(([, x]) => x instanceof nn.MultiHeadAttention).map(([, x]) => (x as nn.MultiHeadAttention).dropout);
    expect(attention(build(bertDir, null))).toEqual([0.1, 0.1]);
    expect(attention(build(bertDir, 0))).toEqual([0, 0]);
    expect(attention(build(bertDir, 0.3))).toEqual([0.3, 0.3]);
  });

  it('with model.dropout 0 a loaded BERT in training mode computes what it does in eval mode', () => {
    const ids = mx.array([[2, 5, 9, 11, 3, 0]], 'int32');
    const run = (m: nn.Module, training: boolean) => {
      if (training) m.train(); else m.eval();
      return (m as unknown as { forward(x: mx.Array): mx.Array }).forward(ids);
    };
    const off = build(bertDir, 0);
    expect(mx.allclose(run(off, true), run(off, false)).item()).toBe(true);
    const kept = build(bertDir, null);
    mx.random.seed(3);
    expect(mx.allclose(run(kept, true), run(kept, false)).item()).toBe(false);
  });

  it('a ModernBERT checkpoint takes it for its embedding and MLP dropout (as a new ModernBERT does)', () => {
    const dir = join(import.meta.dirname, '..', 'fixtures', 'models-modernbert-tiny');
    const byName = (pairs: (readonly [string, number])[], part: string) => pairs.filter(([k]) => k.includes(part)).map(([, p]) => p);
    const set = dropouts(build(dir, 0.2));
    const kept = dropouts(build(dir, null));
    expect(byName(kept, 'mlp').length).toBeGreaterThan(0);
    expect(new Set([...byName(kept, 'mlp'), ...byName(kept, 'embeddings')])).toEqual(new Set([0]));
    expect(new Set([...byName(set, 'mlp'), ...byName(set, 'embeddings')])).toEqual(new Set([0.2]));
  });

  it('from scratch, null means 0.1 and a number is used as given', () => {
    const scratch = (dropout: number | null) => dropouts(buildModel(parseConfig({ model: { architecture: 'bert', size: 'tiny', dropout } }), tinyInfo));
    expect(new Set(scratch(null).map(([, p]) => p))).toEqual(new Set([0.1]));
    expect(new Set(scratch(0.25).map(([, p]) => p))).toEqual(new Set([0.25]));
  });

  it('loadPretrained refuses a dropout that is not a probability', () => {
    expect(() => loadPretrained(bertDir, { dropout: 1.5, tokenizer: false })).toThrow(/loadPretrained: dropout must be a probability in \[0, 1\) but received 1\.5/);
  });
});
