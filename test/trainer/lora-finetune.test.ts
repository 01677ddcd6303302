/**
 * Quantized + LoRA fine-tuning of the real all-MiniLM-L6-v2 checkpoint through the Trainer, on a small
 * slice (64 rows) of the embedded Titanic data: only the adapters and the classifier head may change, the
 * adapters round-trip through their own safetensors file, and fusing them into the (dequantized) base
 * weights gives the same logits.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, nn, Trainer } from '../../src/index.js';
import { TITANIC_TRAIN_PATH } from '../../src/data/dataset.js';
import { treeFlatten } from '../../src/core/tree.js';
import { MINILM_MISSING, minilmDir } from '../models/reference.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-lora-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The header and the first `rows` rows of the embedded Titanic CSV (no quoted newlines in it). */
function titanicSlice(rows: number): string {
  const lines = readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n');
  const path = join(root, `titanic-${rows}.csv`);
  writeFileSync(path, `${lines.slice(0, rows + 1).join('\n')}\n`);
  return path;
}

const flat = (tree: unknown) => new Map((treeFlatten(tree) as [string, unknown][]).filter(([, v]) => v instanceof mx.Array) as [string, mx.Array][]);
const isAdapter = (k: string) => /\.lora[AB]$/.test(k);
const isHead = (k: string) => k.startsWith('classifier.');

/** Logits of the first validation batch, in eval mode. */
async function firstLogits(model: nn.Module, loader: AsyncIterable<{ inputIds: mx.Array; attentionMask: mx.Array; tokenTypeIds?: mx.Array | null }>): Promise<Float32Array> {
  model.eval();
  for await (const batch of loader) {
    const logits = (model as unknown as { forward(ids: mx.Array, o: object): mx.Array }).forward(batch.inputIds, { attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds ?? null });
    return logits.astype('float32').toTypedArray() as Float32Array;
  }
  throw new Error('empty validation loader');
}

describe.skipIf(!minilmDir)(`4-bit + LoRA fine-tuning of all-MiniLM-L6-v2${minilmDir ? '' : ` (skipped: ${MINILM_MISSING})`}`, () => {
  it('trains only adapters + head, round-trips the adapters and fuses to the same logits', async () => {
    const trainer = new Trainer({
      overrides: {
        model: { pretrained: minilmDir!, pooling: 'mean', maxLength: 32, dropout: 0 },
        data: { trainPath: titanicSlice(64), validationSplit: 0.25, cacheDir: join(root, 'cache') },
        training: {
          epochs: 1, batchSize: 16, maxBatchSize: 16, dynamicBatching: false, learningRate: 1e-3, warmupRatio: 0, compile: false,
          quantization: { enabled: true, bits: 4, groupSize: 64 },
          lora: { enabled: true, rank: 8, alpha: 16, targetModules: ['query', 'value'] },
        },
        tracking: { enabled: false },
        outputDir: join(root, 'out'),
      },
      log: () => {},
      progress: false,
      plots: false,
    });
    const model = trainer.model;
    const layers = [...model.namedModules()];
    const loras = layers.filter(([, m]) => m instanceof nn.LoRALinear) as [string, nn.LoRALinear][];
    // MiniLM has 6 layers, each with a query and a value projection; the base under each is 4-bit.
    expect(loras.length).toBe(12);
    for (const [, l] of loras) expect(l.linear).toBeInstanceOf(nn.QuantizedLinear);
    expect(layers.some(([, m]) => m instanceof nn.QuantizedLinear && !loras.some(([, l]) => l.linear === m))).toBe(true);

    const trainable = [...flat(model.trainableParameters()).keys()];
    expect(trainable.length).toBeGreaterThan(0);
    expect(trainable.every((k) => isAdapter(k) || isHead(k))).toBe(true);
    const hidden = 384;
    const adapterCount = 12 * 8 * (hidden + hidden);
    const headCount = hidden * 2 + 2;
    expect(model.numTrainableParameters()).toBe(adapterCount + headCount);

    const before = new Map([...flat(model.parameters())].map(([k, v]) => [k, v.astype('float32').toTypedArray().slice()]));
    const result = await trainer.fit();
    expect(result.status).toBe('FINISHED');
    const after = flat(model.parameters());
    const changed = [...after].filter(([k, v]) => {
      const a = before.get(k)!;
      const b = v.astype('float32').toTypedArray();
      return a.some((x, i) => x !== b[i]);
    }).map(([k]) => k);
    // Every loraB starts at zero and must have moved; nothing outside adapters and head may move.
    expect(changed.filter((k) => k.endsWith('.loraB')).length).toBe(12);
    expect(changed.some(isHead)).toBe(true);
    expect(changed.filter((k) => !isAdapter(k) && !isHead(k))).toEqual([]);

    // Adapters (and head) on their own: a file holding only the trainable arrays.
    const adapterFile = join(root, 'adapters.safetensors');
    const trained = flat(model.trainableParameters());
    mx.saveSafetensors(adapterFile, Object.fromEntries(trained));
    const loaded = mx.loadSafetensors(adapterFile).arrays;
    expect(Object.keys(loaded).sort()).toEqual([...trained.keys()].sort());

    const validation = () => trainer.data.validationLoader({ prefetch: 0 }).epoch(0);
    const reference = await firstLogits(model, validation());

    // A fresh quantized + LoRA trainer (untrained adapters) gives other logits until the file is loaded.
    const fresh = Trainer.fromConfig({ ...trainer.config, outputDir: join(root, 'fresh') }, { log: () => {}, progress: false, plots: false });
    const freshLogits = await firstLogits(fresh.model, validation());
    expect(Math.max(...freshLogits.map((x, i) => Math.abs(x - reference[i])))).toBeGreaterThan(1e-3);
    fresh.model.loadWeights(Object.entries(loaded), { strict: false });
    const reloaded = await firstLogits(fresh.model, validation());
    for (let i = 0; i < reference.length; i++) expect(reloaded[i]).toBeCloseTo(reference[i], 5);

    // Fuse every adapter into a plain Linear (the 4-bit base dequantized): the same logits within fp32 rounding.
    expect(nn.fuseLoRA(model)).toBe(12);
    expect([...model.namedModules()].some(([, m]) => m instanceof nn.LoRALinear)).toBe(false);
    const fused = await firstLogits(model, validation());
    const maxDiff = Math.max(...fused.map((x, i) => Math.abs(x - reference[i])));
    expect(maxDiff).toBeLessThan(1e-4);
  }, 120_000);
});
