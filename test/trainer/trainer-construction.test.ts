/** The two ways to make a Trainer, and what each refuses (no guessing between a config and options). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-construct-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('making a Trainer', () => {
  it('new Trainer(options) resolves the config from preset, --set and overrides', () => {
    const trainer = new Trainer({ preset: 'quick', set: ['training.epochs=2'], overrides: { outputDir: join(root, 'a') }, log: () => {} });
    expect(trainer.config.model.size).toBe('tiny');
    expect(trainer.config.training.epochs).toBe(2);
    expect(trainer.config.outputDir).toBe(join(root, 'a'));
    expect(Object.keys(trainer.options)).toEqual(['log']);
  });

  it('Trainer.fromConfig(config, options) validates the object and fills defaults', () => {
    const config = toyConfig(join(root, 'b'), { epochs: 4 });
    const trainer = Trainer.fromConfig(config, { log: () => {}, progress: false });
    expect(trainer.config.training.epochs).toBe(4);
    expect(trainer.config.training.optimizer).toBe('adamw');
    expect(() => Trainer.fromConfig({ training: { epochs: 'three' } } as never)).toThrow(/training\.epochs/);
  });

  it('a config object given to the constructor is refused with the way to pass it', () => {
    const config = toyConfig(join(root, 'c'));
    expect(() => new Trainer(config as never)).toThrow(/unknown option 'data'.*Trainer\.fromConfig\(config, options\)/);
  });

  it('resolve options given to fromConfig are refused with the way to pass them', () => {
    expect(() => Trainer.fromConfig(toyConfig(join(root, 'd')), { preset: 'quick' } as never)).toThrow(/unknown option 'preset'.*new Trainer\(options\)/);
    expect(() => Trainer.fromConfig(toyConfig(join(root, 'd')), { progres: false } as never)).toThrow(/unknown option 'progres'/);
  });
});
