/**
 * Adapter-only save/load through the Trainer, and trainable-only checkpoints of LoRA runs, on a tiny BERT
 * (LoRA on query/value) trained for one epoch on a slice of the embedded Titanic data.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, nn, Trainer } from '../../src/index.js';
import { TITANIC_TRAIN_PATH } from '../../src/data/dataset.js';
import { loadCheckpoint } from '../../src/trainer/run-checkpoint.js';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from '../../src/trainer/adapters.js';
import { stringify } from 'yaml';

const repo = join(import.meta.dirname, '..', '..');

const root = mkdtempSync(join(tmpdir(), 'mlxt-adapters-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines = readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n');
const trainPath = join(root, 'titanic-96.csv');
writeFileSync(trainPath, `${lines.slice(0, 97).join('\n')}\n`);

const overrides = (outputDir: string, lora: Record<string, unknown> = {}) => ({
  model: { architecture: 'bert' as const, size: 'tiny' as const, maxLength: 32, pooling: 'mean' as const, dropout: 0 },
  data: { trainPath, validationSplit: 0.25, vocabSize: 300, cacheDir: join(root, 'cache') },
  training: { epochs: 1, batchSize: 16, maxBatchSize: 16, dynamicBatching: false, learningRate: 1e-2, warmupRatio: 0, lora: { enabled: true, rank: 4, alpha: 8, targetModules: ['query', 'value'], ...lora } },
  tracking: { enabled: false },
  outputDir,
});
const quiet = { log: () => {}, progress: false, plots: false } as const;

async function logits(trainer: Trainer): Promise<Float32Array> {
  const model = trainer.model as unknown as nn.Module & { forward(ids: mx.Array, o: object): mx.Array };
  model.eval();
  for await (const b of trainer.data.validationLoader({ prefetch: 0 }).epoch(0)) {
    return model.forward(b.inputIds, { attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds ?? null }).toTypedArray() as Float32Array;
  }
  throw new Error('empty validation set');
}

describe('LoRA adapters through the Trainer', () => {
  const out = join(root, 'trained');
  const trainer = new Trainer({ overrides: overrides(out), ...quiet });
  let trained: Float32Array;
  let firstSteps = 0;

  it('a LoRA run checkpoints only its trainable weights (adapters + head)', async () => {
    const result = await trainer.fit();
    expect(result.status).toBe('FINISHED');
    firstSteps = result.state.globalStep;
    trained = await logits(trainer);
    const ck = loadCheckpoint(result.checkpoint!);
    expect(ck.weights).toBe('trainable');
    const trainable = mx.treeFlatten(trainer.model.trainableParameters()).map(([k]) => k).sort();
    expect(ck.model.map(([k]) => k).sort()).toEqual(trainable);
    expect(trainable.every((k) => /\.lora[AB]$/.test(k) || k.startsWith('classifier.'))).toBe(true);
    expect(trainable.filter((k) => k.endsWith('.loraA'))).toHaveLength(2 * 2);
    // The frozen tiny BERT (embeddings, layers) is far bigger than what the checkpoint holds.
    const all = mx.treeFlatten(trainer.model.parameters()).length;
    expect(ck.model.length).toBeLessThan(all / 3);
  }, 300_000);

  it('loadWeightsFrom a trainable-only checkpoint rebuilds the same model', async () => {
    const fresh = new Trainer({ overrides: overrides(out), ...quiet });
    expect(Array.from(await logits(fresh))).not.toEqual(Array.from(trained));
    fresh.loadWeightsFrom('latest');
    expect(Array.from(await logits(fresh))).toEqual(Array.from(trained));
  }, 120_000);

  it('a run resumes from its trainable-only checkpoint', async () => {
    const more = new Trainer({ overrides: { ...overrides(out), training: { ...overrides(out).training, epochs: 2 } }, ...quiet });
    const result = await more.fit({ resumeFrom: 'latest' });
    expect(result.status).toBe('FINISHED');
    expect(result.state.globalStep).toBe(2 * firstSteps);
    expect(loadCheckpoint(result.checkpoint!).weights).toBe('trainable');
  }, 300_000);

  it('saveAdapters writes the adapters and their config; loadAdapters restores the trained logits exactly', async () => {
    const dir = join(root, 'adapters');
    const files = trainer.saveAdapters(dir);
    expect(files).toEqual({ weights: join(dir, ADAPTER_WEIGHTS_FILE), config: join(dir, ADAPTER_CONFIG_FILE) });
    const meta = JSON.parse(readFileSync(files.config, 'utf8'));
    expect(meta).toMatchObject({ format: 'mlx-train-adapters-1', baseModel: null, lora: { enabled: true, rank: 4, alpha: 8, targetModules: ['query', 'value'] } });
    expect(meta.adapters).toHaveLength(2 * 2 * 2);
    expect([...meta.head].sort()).toEqual(['classifier.bias', 'classifier.weight']);
    const saved = mx.loadSafetensors(files.weights);
    expect(Object.keys(saved.arrays).sort()).toEqual([...meta.adapters, ...meta.head].sort());
    expect(saved.metadata.format).toBe('mlx-train-adapters-1');
    expect(statSync(files.weights).size).toBeLessThan(64 * 1024);

    const fresh = new Trainer({ overrides: overrides(join(root, 'fresh')), ...quiet });
    const before = await logits(fresh);
    expect(Array.from(before)).not.toEqual(Array.from(trained));
    expect(fresh.loadAdapters(dir)).toEqual([...meta.adapters, ...meta.head].sort());
    expect(Array.from(await logits(fresh))).toEqual(Array.from(trained));
  }, 120_000);

  it('refuses adapters of another rank, a config without LoRA, and a missing folder, naming the problem', () => {
    const dir = join(root, 'adapters');
    const other = new Trainer({ overrides: overrides(join(root, 'other'), { rank: 2, alpha: 4 }), ...quiet });
    expect(() => other.loadAdapters(dir)).toThrow(/lora\.rank is 4 in the adapters but 2 in training\.lora\.rank of this config/);
    const plain = new Trainer({ overrides: { ...overrides(join(root, 'plain')), training: { ...overrides('').training, lora: { enabled: false } } }, ...quiet });
    expect(() => plain.saveAdapters(join(root, 'none'))).toThrow(/saveAdapters needs training\.lora\.enabled/);
    expect(() => trainer.loadAdapters(join(root, 'missing'))).toThrow(/no adapter_config\.json in the adapter folder/);
  }, 120_000);

  it('mlx-train train --save-adapters writes the adapters next to the checkpoints', () => {
    const out = join(root, 'cli');
    const config = join(root, 'lora.yaml');
    writeFileSync(config, stringify(overrides(out)));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env.MLFLOW_TRACKING_URI;
    const r = spawnSync(process.execPath, ['--import', join(repo, 'scripts', 'register-ts.mjs'), join(repo, 'src', 'cli', 'main.ts'), 'train', '-c', config, '--save-adapters', '--json'], { cwd: root, env, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.adapters).toBe(join(out, 'adapters', ADAPTER_WEIGHTS_FILE));
    expect(existsSync(join(out, 'adapters', ADAPTER_CONFIG_FILE))).toBe(true);
  }, 150_000);
});
