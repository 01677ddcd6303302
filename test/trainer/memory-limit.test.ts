// training.memoryLimitMb becomes MLX's memory and cache limit when the trainer starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, Trainer } from '../../src/index.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-memlimit-'));
const initialMemoryLimit = mx.getMemoryLimit();
const initialCacheLimit = mx.setCacheLimit(initialMemoryLimit);
mx.setCacheLimit(initialCacheLimit);
afterAll(() => {
  mx.setMemoryLimit(initialMemoryLimit);
  mx.setCacheLimit(initialCacheLimit);
  rmSync(root, { recursive: true, force: true });
});

describe('training.memoryLimitMb', () => {
  it('sets MLX’s memory limit and cache limit (read back from MLX)', () => {
    expect(initialMemoryLimit).not.toBe(300 * 2 ** 20);
    const trainer = Trainer.fromConfig(toyConfig(join(root, 'set'), { memoryLimitMb: 300 }), { createModel: tinyModelFactory(0), log: () => {}, progress: false });
    trainer.setup();
    expect(mx.getMemoryLimit()).toBe(300 * 2 ** 20);
    // setCacheLimit returns the limit it replaces: the one the trainer set.
    expect(mx.setCacheLimit(initialCacheLimit)).toBe(300 * 2 ** 20);
  });

  it('null leaves MLX’s limits as they are', () => {
    mx.setMemoryLimit(initialMemoryLimit);
    const trainer = Trainer.fromConfig(toyConfig(join(root, 'null')), { createModel: tinyModelFactory(0), log: () => {}, progress: false });
    trainer.setup();
    expect(mx.getMemoryLimit()).toBe(initialMemoryLimit);
    expect(mx.setCacheLimit(initialCacheLimit)).toBe(initialCacheLimit);
  });
});
