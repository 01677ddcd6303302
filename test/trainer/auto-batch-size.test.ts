// training.batchSize: auto runs the batch-size finder before training, trains with the size it chose and
// logs it (the message, and the resolved number in the config the run records).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, resolveConfig, Trainer } from '../../src/index.js';
import { trainerOptions } from '../../src/cli/trainer-options.js';
import { TinyClassifier, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-auto-batch-'));
const memoryLimit = mx.getMemoryLimit();
const cacheLimit = mx.setCacheLimit(memoryLimit);
mx.setCacheLimit(cacheLimit);
afterAll(() => {
  mx.setMemoryLimit(memoryLimit);
  mx.setCacheLimit(cacheLimit);
  rmSync(root, { recursive: true, force: true });
});

// Wide enough (256 dims × 128 tokens) that a full-length row's training pass costs about a megabyte.
const wide = (info: { vocabSize: number; numLabels: number }) => new TinyClassifier(info.vocabSize, info.numLabels, 256, 0);

function autoTrainer(name: string, memoryLimitMb: number, logs: string[]) {
  const config = toyConfig(join(root, name), { batchSize: 'auto', maxBatchSize: 64, memoryLimitMb, epochs: 1 }, { model: { maxLength: 128 } });
  return Trainer.fromConfig(config, { createModel: wide, log: (m) => logs.push(m), progress: false });
}

describe('training.batchSize: auto', () => {
  it('chooses the largest batch under the budget, logs it and trains with it', async () => {
    const logs: string[] = [];
    const small = autoTrainer('small', 8, logs);
    const result = await small.fit();
    const chosen = small.config.training.batchSize as number;
    expect(typeof chosen).toBe('number');
    expect(chosen).toBeGreaterThanOrEqual(1);
    expect(chosen).toBeLessThan(64);
    expect(logs.find((l) => l.startsWith('batch-size finder:'))).toMatch(new RegExp(`^batch-size finder: batchSize ${chosen} \\(training pass peak [\\d.]+ MB of the 8 MB budget`));
    // The finder's own answer for that budget, doubling from 1. Asked again after training, the model's
    // optimizer state now holds memory of its own, so near the budget it may answer one doubling lower.
    expect([chosen, chosen / 2]).toContain(small.findBatchSize().batchSize);
    // Training used batches of at most the chosen size.
    expect(result.state.lastStep!.batchSize).toBeLessThanOrEqual(chosen);
    // A roomy budget reaches maxBatchSize.
    const roomy = autoTrainer('roomy', 4096, []);
    roomy.setup();
    expect(roomy.config.training.batchSize).toBe(64);
  });

  it('needs memoryLimitMb, from the config or the CLI flag', () => {
    expect(() => resolveConfig({ set: ['training.batchSize=auto'], env: {} })).toThrow(/training\.batchSize: batchSize: auto fits the batch to training\.memoryLimitMb/);
    expect(resolveConfig({ set: ['training.batchSize=auto', 'training.memoryLimitMb=64'], env: {} }).config.training.batchSize).toBe('auto');
    // `mlx-train train --batch-size auto` (or a number) sets training.batchSize after the --set flags.
    const options = trainerOptions({ preset: 'quick', set: ['training.memoryLimitMb=64'], batchSize: 'auto' }, () => {});
    expect(resolveConfig(options).config.training.batchSize).toBe('auto');
    expect(resolveConfig(trainerOptions({ preset: 'quick', batchSize: '16' }, () => {})).config.training.batchSize).toBe(16);
  });
});
