/**
 * Trainer.fuseAdapters / saveFused: a 4-bit + LoRA run of a tiny BERT trained from scratch (one epoch on
 * 48 Titanic rows) is fused into a plain float model with the same logits, written as a Hugging Face
 * folder, and loaded again through model.pretrained with LoRA and quantization off: same logits and
 * predictions, every weight trainable. The same export from the real all-MiniLM-L6-v2 checkpoint
 * copies the base's tokenizer files.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, nn, Trainer } from '../../src/index.js';
import type { TrainingConfig } from '../../src/config/schema.js';
import { TITANIC_TRAIN_PATH } from '../../src/data/dataset.js';
import { MINILM_MISSING, minilmDir } from '../models/reference.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-fuse-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const quiet = { log: () => {}, progress: false, plots: false } as const;

/** The header and the first `rows` rows of the embedded Titanic CSV (no quoted newlines in it). */
function titanicSlice(rows: number): string {
  const path = join(root, `titanic-${rows}.csv`);
  if (!existsSync(path)) writeFileSync(path, `${readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n').slice(0, rows + 1).join('\n')}\n`);
  return path;
}

type Forward = { forward(ids: mx.Array, o: object): mx.Array };

/** Logits of every validation row, in eval mode, in loader order. */
async function validationLogits(trainer: Trainer): Promise<Float32Array> {
  const model = trainer.model;
  model.eval();
  const out: number[] = [];
  for await (const batch of trainer.data.validationLoader({ prefetch: 0 }).epoch(0)) {
    const logits = (model as unknown as Forward).forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds ?? null });
    out.push(...(logits.astype('float32').toTypedArray() as Float32Array));
  }
  return Float32Array.from(out);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const hasLayer = (m: nn.Module, type: abstract new (...args: never[]) => nn.Module) => m.modules().some((x) => x instanceof type);

/** The config a user would load the fused folder with: theirs, with the folder as the model and no LoRA/quantization. */
function plainConfig(c: TrainingConfig, pretrained: string, outputDir: string): TrainingConfig {
  return {
    ...c,
    outputDir,
    model: { ...c.model, pretrained },
    training: { ...c.training, lora: { ...c.training.lora, enabled: false }, quantization: { ...c.training.quantization, enabled: false } },
  };
}

describe('Trainer.fuseAdapters and saveFused (tiny BERT from scratch, 4-bit + LoRA)', () => {
  const trainer = new Trainer({
    overrides: {
      model: { architecture: 'bert', size: 'tiny', maxLength: 32, pooling: 'mean', dropout: 0 },
      data: { trainPath: titanicSlice(48), validationSplit: 0.25, vocabSize: 200, cacheDir: join(root, 'cache') },
      training: {
        epochs: 1, batchSize: 8, maxBatchSize: 8, dynamicBatching: false, learningRate: 5e-3, warmupRatio: 0, compile: false,
        quantization: { enabled: true, bits: 4, groupSize: 64 },
        lora: { enabled: true, rank: 4, alpha: 8, targetModules: ['query', 'value'] },
      },
      tracking: { enabled: false },
      outputDir: join(root, 'lora-run'),
    },
    ...quiet,
  });
  const original = trainer.config;
  let reference: Float32Array;
  let predictions: Awaited<ReturnType<Trainer['predict']>>;
  let exported = '';

  it('fuses every adapter into a float model with the same logits, and the trainer then describes a plain model', async () => {
    expect((await trainer.fit()).status).toBe('FINISHED');
    const model = trainer.model;
    // tiny BERT: 2 layers × (query, value); the 4-bit base is under the adapters and in the other Linears.
    expect(model.modules().filter((m) => m instanceof nn.LoRALinear)).toHaveLength(4);
    expect(hasLayer(model, nn.QuantizedLinear)).toBe(true);
    expect(model.numTrainableParameters()).toBeLessThan(model.numParameters() / 10);
    reference = await validationLogits(trainer);
    predictions = await trainer.predict(titanicSlice(48));

    expect(trainer.fuseAdapters()).toBe(4);
    expect(hasLayer(model, nn.LoRALinear)).toBe(false);
    expect(hasLayer(model, nn.QuantizedLinear)).toBe(false);
    for (const [k, a] of mx.treeFlatten(model.parameters())) {
      expect(k).not.toMatch(/lora[AB]|scales|biases$/);
      expect((a as mx.Array).dtype).toBe('float32');
    }
    expect(maxAbsDiff(await validationLogits(trainer), reference)).toBeLessThan(1e-4);
    expect(trainer.config.training.lora.enabled).toBe(false);
    expect(trainer.config.training.quantization.enabled).toBe(false);
    expect(model.numTrainableParameters()).toBe(model.numParameters());
    expect(() => trainer.fuseAdapters()).toThrow(/training\.lora\.enabled: the adapters were fused already/);
  }, 120_000);

  it('writes a self-contained folder that model.pretrained loads with no LoRA: same logits and predictions', async () => {
    const out = join(root, 'exports', 'fused');
    exported = trainer.saveFused(out);
    expect(exported).toBe(out);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    // Nothing half-written beside it: the temp folder was renamed into place.
    expect(readdirSync(join(root, 'exports'))).toEqual(['fused']);
    const hf = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(hf.architectures).toEqual(['BertForSequenceClassification']);
    expect(hf.classifier_pooling).toBe('mean');
    expect(hf.id2label).toEqual({ 0: '0', 1: '1' });
    expect(Object.keys(mx.loadSafetensors(join(out, 'model.safetensors')).arrays).some((k) => /lora|scales/.test(k))).toBe(false);
    // The trainer's config now names the export, so it rebuilds this very model.
    expect(trainer.config.model.pretrained).toBe(out);

    const reloaded = Trainer.fromConfig(plainConfig(original, out, join(root, 'reloaded')), quiet);
    expect(hasLayer(reloaded.model, nn.LoRALinear) || hasLayer(reloaded.model, nn.QuantizedLinear)).toBe(false);
    expect(maxAbsDiff(await validationLogits(reloaded), reference)).toBeLessThan(1e-4);
    const again = await reloaded.predict(titanicSlice(48));
    expect(again.map((p) => p.label)).toEqual(predictions.map((p) => p.label));
    expect(maxAbsDiff(again.flatMap((p) => p.probabilities), predictions.flatMap((p) => p.probabilities))).toBeLessThan(1e-5);
    const metrics = await reloaded.evaluate();
    expect(metrics.loss).toBeGreaterThan(0);
  }, 120_000);

  it('the reloaded model, and the fused trainer, train every weight when trained further', async () => {
    const further = Trainer.fromConfig(plainConfig(original, exported, join(root, 'further')), quiet);
    const model = further.model;
    expect(model.numTrainableParameters()).toBe(model.numParameters());
    // A weight the LoRA run kept frozen (a projection LoRA did not target) now moves.
    const key = (mx.treeFlatten(model.parameters()) as [string, mx.Array][]).map(([k]) => k).find((k) => k.endsWith('keyProj.weight'))!;
    expect(key).toBeDefined();
    const weight = () => new Map(mx.treeFlatten(model.parameters()) as [string, mx.Array][]).get(key)!.toTypedArray().slice() as Float32Array;
    const was = weight();
    expect((await further.fit()).status).toBe('FINISHED');
    const now = weight();
    expect(maxAbsDiff(now, was)).toBeGreaterThan(0);

    // The fused trainer itself trains on too, every weight, with an optimizer for the new parameter tree.
    const inPlace = (mx.treeFlatten(trainer.model.parameters()) as [string, mx.Array][]).find(([k]) => k === key)![1].toTypedArray().slice() as Float32Array;
    expect((await trainer.fit()).status).toBe('FINISHED');
    const moved = (mx.treeFlatten(trainer.model.parameters()) as [string, mx.Array][]).find(([k]) => k === key)![1].toTypedArray() as Float32Array;
    expect(maxAbsDiff(moved, inPlace)).toBeGreaterThan(0);
    expect(trainer.model.numTrainableParameters()).toBe(trainer.model.numParameters());
  }, 120_000);

  it('refuses an occupied folder unless overwrite, and replaces it whole with overwrite', () => {
    const taken = join(root, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'notes.txt'), 'keep me');
    expect(() => trainer.saveFused(taken)).toThrow(/exists and is not empty.*overwrite/);
    expect(readdirSync(taken)).toEqual(['notes.txt']);
    expect(trainer.saveFused(taken, { overwrite: true })).toBe(taken);
    expect(readdirSync(taken).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    expect(readdirSync(root).filter((f) => f.startsWith('.taken'))).toEqual([]);
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    expect(() => trainer.saveFused(file, { overwrite: true })).toThrow(/it is a file/);
    expect(() => trainer.saveFused(join(root, 'x'), { force: true } as never)).toThrow(/unknown option 'force'/);
  }, 60_000);

  it('explains what it cannot fuse: no LoRA in the config, or a model savePretrained cannot write', () => {
    const plain = Trainer.fromConfig({ ...original, training: { ...original.training, lora: { ...original.training.lora, enabled: false } } }, quiet);
    expect(() => plain.fuseAdapters()).toThrow(/fuseAdapters needs training\.lora\.enabled: this config has no adapters/);
    expect(() => plain.saveFused(join(root, 'never'))).toThrow(/saveFused needs training\.lora\.enabled/);
    class Custom extends nn.Module {
      query = new nn.Linear(4, 2);
      forward(x: mx.Array) {
        return this.query.forward(x);
      }
    }
    const custom = Trainer.fromConfig(original, { ...quiet, createModel: () => new Custom() });
    expect(() => custom.saveFused(join(root, 'never'))).toThrow(/needs a BERT or ModernBERT classifier.*Custom/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  }, 60_000);
});

describe.skipIf(!minilmDir)(`saveFused from a pretrained checkpoint (all-MiniLM-L6-v2)${minilmDir ? '' : ` (skipped: ${MINILM_MISSING})`}`, () => {
  it('copies the base tokenizer files and reloads to the same logits', async () => {
    const trainer = new Trainer({
      overrides: {
        model: { pretrained: minilmDir!, pooling: 'mean', maxLength: 24, dropout: 0 },
        data: { trainPath: titanicSlice(24), validationSplit: 0.5, cacheDir: join(root, 'cache') },
        training: { batchSize: 16, maxBatchSize: 16, quantization: { enabled: true, bits: 4, groupSize: 64 }, lora: { enabled: true, rank: 4, targetModules: ['query', 'value'] } },
        tracking: { enabled: false },
        outputDir: join(root, 'minilm'),
      },
      ...quiet,
    });
    // Stand-in for training: give every adapter a real (non-zero) update.
    mx.random.seed(5);
    for (const l of trainer.model.modules().filter((m) => m instanceof nn.LoRALinear) as nn.LoRALinear[]) {
      l.loraB = mx.multiply(mx.random.normal(l.loraB.shape), 0.02);
    }
    const reference = await validationLogits(trainer);
    const out = trainer.saveFused(join(root, 'minilm-fused'));
    const files = readdirSync(out);
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json']) {
      if (existsSync(join(minilmDir!, f))) expect(files).toContain(f);
    }
    expect(readFileSync(join(out, files.includes('tokenizer.json') ? 'tokenizer.json' : 'vocab.txt'), 'utf8'))
      .toBe(readFileSync(join(minilmDir!, files.includes('tokenizer.json') ? 'tokenizer.json' : 'vocab.txt'), 'utf8'));
    const reloaded = Trainer.fromConfig(plainConfig(trainer.config, out, join(root, 'minilm-reloaded')), quiet);
    expect(maxAbsDiff(await validationLogits(reloaded), reference)).toBeLessThan(1e-4);
  }, 180_000);
});
