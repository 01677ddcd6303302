/**
 * Dedicated flags (-e, --output-dir, --no-track, --batch-size) reach the config as typed values, not as
 * `--set` text re-read as YAML, and a bad value is reported under the flag the user typed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { trainerOptions } from '../../src/cli/trainer-options.js';
import { resolveConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { cli } from './helpers.js';

/** The options commander hands the train action for `args` (the action itself does not run). */
function trainOpts(args: string[]): Record<string, unknown> {
  const train = buildProgram().commands.find((c) => c.name() === 'train');
  if (!train) throw new Error('no train command');
  train.parseOptions(args);
  return train.opts();
}

const resolve = (args: string[]) => resolveConfig({ ...trainerOptions(trainOpts(['-p', 'quick', ...args]), () => {}), env: {} }).config;

describe('typed CLI overrides', () => {
  it('-e 2024 names the experiment "2024" (YAML would read a number)', () => {
    expect(resolve(['-e', '2024']).tracking.experimentName).toBe('2024');
    expect(resolve(['--experiment', 'true']).tracking.experimentName).toBe('true');
  });

  it('--output-dir 123 is the folder "123"', () => {
    expect(resolve(['--output-dir', '123']).outputDir).toBe('123');
  });

  it('--no-track turns tracking off; without it tracking stays on', () => {
    expect(resolve(['--no-track']).tracking.enabled).toBe(false);
    expect(resolve([]).tracking.enabled).toBe(true);
  });

  it('--batch-size takes a count or auto', () => {
    expect(resolve(['--batch-size', '24']).training.batchSize).toBe(24);
    expect(resolve(['--batch-size', 'auto', '--set', 'training.memoryLimitMb=512']).training.batchSize).toBe('auto');
  });

  it('--set still parses YAML, and a flag wins over --set for the same key', () => {
    const config = resolve(['--set', 'training.epochs=5', '--set', 'training.lora.enabled=true']);
    expect(config.training.epochs).toBe(5);
    expect(config.training.lora.enabled).toBe(true);
    expect(() => resolve(['--set', 'tracking.experimentName=2024', '--set', 'training.epochs=5'])).toThrow(/expected string, received number.*--set tracking\.experimentName=2024/s);
    expect(resolve(['--set', 'outputDir=a', '--output-dir', 'b']).outputDir).toBe('b');
  });

  it('a bad flag value is a ConfigError that names the flag the user typed', () => {
    let caught: unknown;
    try {
      resolve(['--batch-size', 'lots']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toContain('--batch-size lots');
    expect((caught as Error).message).not.toContain('--set');
  });
});

describe('the train command with typed flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-typed-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming -e when the experiment name is empty', () => {
    const r = cli(['train', '-p', 'quick', '-e', '', '--output-dir', join(dir, 'out')], { cwd: dir });
    expect(r.stderr).toMatch(/error\[CONFIG_ERROR\].*tracking\.experimentName.*-e\/--experiment/s);
    expect(r.stderr).not.toContain('--set');
    expect(r.code).toBe(2);
  });
});
