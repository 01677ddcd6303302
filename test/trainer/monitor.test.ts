import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-monitor-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('best-model monitor', () => {
  it('rejects a misspelled monitor before training, naming the nearest valid metric', async () => {
    const dir = join(root, 'typo');
    const trainer = Trainer.fromConfig(toyConfig(dir, { earlyStopping: { monitor: 'val_acuracy', mode: 'max' } }), { createModel: tinyModelFactory(0), log: () => {} });
    await expect(trainer.fit()).rejects.toThrow(expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringMatching(/val_acuracy.*did you mean 'val_accuracy'/) }));
    expect(existsSync(join(dir, 'out', 'checkpoints'))).toBe(false);
  });

  it('keeps the best step on a max-mode monitor given by its logged name', async () => {
    const dir = join(root, 'f1');
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 3, earlyStopping: { monitor: 'val_f1_macro', mode: 'max' } }), { createModel: tinyModelFactory(0), log: () => {} });
    const result = await trainer.fit();
    expect(result.state.best!.metric).toBe('val_f1_macro');
    expect(result.state.best!.value).toBeGreaterThanOrEqual(result.metrics!.f1Macro as number);
  });
});
