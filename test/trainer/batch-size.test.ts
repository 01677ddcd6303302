import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, nn, Trainer } from '../../src/index.js';
import { BatchSizer, findBatchSize } from '../../src/trainer/batch-size.js';
import { LeakAlarm } from '../../src/trainer/memory.js';
import type { BatchSizerState } from '../../src/trainer/batch-size.js';
import { listCheckpoints, loadCheckpoint } from '../../src/trainer/run-checkpoint.js';
import { classificationLoss, snapshot, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-batch-size-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Small weights, wide activations: memory grows with the batch (4096 floats per token). */
class WideActivations extends nn.Module {
  embedding: nn.Embedding;
  up: nn.Linear;
  classifier: nn.Linear;
  constructor(vocab: number, labels: number, private readonly _oomAbove = Infinity) {
    super();
    this.embedding = new nn.Embedding(vocab, 8);
    this.up = new nn.Linear(8, 4096);
    this.classifier = new nn.Linear(4096, labels);
  }
  forward(inputIds: mx.Array): mx.Array {
    if (this.training && inputIds.shape[0] > this._oomAbove) {
      throw Object.assign(new Error(`[malloc] unable to allocate for a batch of ${inputIds.shape[0]}`), { code: 'MLX_OUT_OF_MEMORY' });
    }
    const h = nn.relu(this.up.forward(this.embedding.forward(inputIds)));
    return this.classifier.forward(mx.mean(h, 1));
  }
}

const finalSplits = (dir: string) => (loadCheckpoint(listCheckpoints(join(dir, 'out', 'checkpoints')).at(-1)!.path).trainer.batchSizer as BatchSizerState).splits;

describe('memory-driven batch sizing', () => {
  it('splits batches when the measured MLX peak is over the budget, and the result matches the unsplit run', async () => {
    const logs: string[] = [];
    const training = { epochs: 1, learningRate: 0.01 };
    const free = Trainer.fromConfig(toyConfig(join(root, 'free'), training), { createModel: (i) => new WideActivations(i.vocabSize, i.numLabels), log: () => {} });
    const unsplit = await free.fit();
    // A budget a little under what the unsplit steps peaked at.
    const budgetMb = Math.max(1, Math.floor((unsplit.state.memory!.peakBytes / 2 ** 20) * 0.8));
    const dir = join(root, 'tight');
    const tight = Trainer.fromConfig(toyConfig(dir, { ...training, memoryLimitMb: budgetMb }), { createModel: (i) => new WideActivations(i.vocabSize, i.numLabels), log: (m) => logs.push(m) });
    const result = await tight.fit();
    expect(result.status).toBe('FINISHED');
    expect(logs.some((l) => l.includes(`over the ${budgetMb.toFixed(1)} MB budget; splitting each batch into 2 micro-batches`))).toBe(true);
    const splits = finalSplits(dir);
    expect(splits).toBeGreaterThanOrEqual(2);
    expect(splits).toBeLessThan(8);
    const a = snapshot(free.model);
    const b = snapshot(tight.model);
    for (const k of Object.keys(a)) for (let i = 0; i < a[k].length; i++) expect(Math.abs(a[k][i] - b[k][i])).toBeLessThan(1e-5);
  });

  it('an MLX_OUT_OF_MEMORY error rolls the step back and retries it with smaller micro-batches', async () => {
    const logs: string[] = [];
    const dir = join(root, 'oom');
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 1, memoryLimitMb: 1024 }), { createModel: (i) => new WideActivations(i.vocabSize, i.numLabels, 3), log: (m) => logs.push(m) });
    const result = await trainer.fit();
    expect(result.status).toBe('FINISHED');
    expect(logs.filter((l) => /out of memory; retrying with each batch split into/.test(l)).length).toBeGreaterThanOrEqual(1);
    expect(finalSplits(dir)).toBe(4);
    for (const [, v] of mx.treeFlatten(trainer.model.parameters())) expect(mx.all(mx.isfinite(v as mx.Array)).item()).toBe(true);
  });

  it('findBatchSize returns the largest batch whose training pass fits the budget', () => {
    mx.random.seed(0);
    const model = new WideActivations(50, 2);
    const probe = (limit: number) => findBatchSize({ model, lossFn: classificationLoss, maxLength: 16, vocabSize: 50, start: 2, max: 64, memoryLimitBytes: limit });
    const all = probe(2 ** 40);
    expect(all.batchSize).toBe(64);
    const some = probe(all.peakBytes / 4);
    expect(some.batchSize).toBeGreaterThanOrEqual(2);
    expect(some.batchSize).toBeLessThan(64);
    expect(some.peakBytes).toBeLessThanOrEqual(all.peakBytes / 4);
    expect(probe(1).batchSize).toBe(0);
  });

  it('grows the token budget after an epoch far under the memory budget and shrinks it on back-off', () => {
    const sizer = new BatchSizer({ batchSize: 8, maxBatchSize: 32, maxLength: 16, dynamic: true, memoryLimitBytes: 1000 });
    expect(sizer.batching()).toEqual({ batchSize: 8, maxBatchSize: 32, tokenBudget: 128 });
    sizer.observe(100, 8);
    sizer.endEpoch();
    expect(sizer.tokenBudget).toBe(160);
    expect(sizer.observe(2000, 8)).toBe(true);
    expect(sizer.splits).toBe(2);
    expect(sizer.tokenBudget).toBe(120);
    // Two more back-offs (4 and 8 parts of one example each), then none: a part never drops below one example.
    for (let i = 0; i < 10; i++) sizer.backOff(8);
    expect(sizer.splits).toBe(8);
    expect(sizer.tokenBudget).toBe(120 * 0.75 * 0.75);
    // The budget never drops below one full-length row.
    const small = new BatchSizer({ batchSize: 2, maxBatchSize: 2, maxLength: 16, dynamic: true, memoryLimitBytes: 1 });
    for (let i = 0; i < 5; i++) small.backOff(1024);
    expect(small.tokenBudget).toBe(16);
  });
});

describe('memory leak alarm', () => {
  it('fires on steady RSS growth and stays quiet on a flat or noisy RSS', () => {
    const rising = new LeakAlarm(10, 1 << 20, 8 << 20);
    const messages = Array.from({ length: 12 }, (_, i) => rising.add(100e6 + i * 4e6)).filter(Boolean);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/memory leak suspected: RSS grew 34\.3 MB over the last 10 logging intervals/);
    const flat = new LeakAlarm(10, 1 << 20, 8 << 20);
    expect(Array.from({ length: 30 }, (_, i) => flat.add(100e6 + (i % 3) * 3e6)).filter(Boolean)).toHaveLength(0);
  });

  it('stays quiet through warm-up: RSS climbing in the first intervals, then flat', () => {
    // The RSS (MB) of `train --preset quick` without g++, one sample per 5 steps: 178 → 241 by step 25, then
    // 243–246. The whole window's slope (2.4 MB per interval) and growth (68 MB) pass the thresholds.
    const mb = [178, 199, 220, 241, 242, 243, 243, 244, 244, 244, 245, 244, 245, 246, 245, 246, 246, 245, 246, 246];
    const alarm = new LeakAlarm(20, 1 << 20, 64 << 20);
    expect(mb.map((m) => alarm.add(m * 2 ** 20)).filter(Boolean)).toEqual([]);
    // The same window climbing on at its end is a leak.
    const leaking = new LeakAlarm(20, 1 << 20, 64 << 20);
    expect(mb.map((m, i) => leaking.add((m + Math.max(0, i - 3) * 4) * 2 ** 20)).filter(Boolean)).toHaveLength(1);
  });
});
