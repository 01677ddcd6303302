import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, root } from './helpers.js';

// A short 4-bit + LoRA run through the CLI (tiny BERT from scratch, 48 rows, one epoch), then `fuse`
// from its best checkpoint and from its saved adapters, and predictions from the fused folder.
const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-fuse-'));
const outputDir = join(dir, 'outputs');
const lines = readFileSync(join(root, 'data', 'titanic', 'train.csv'), 'utf8').trim().split('\n');
const trainCsv = join(dir, 'train.csv');
writeFileSync(trainCsv, `${lines.slice(0, 49).join('\n')}\n`);
const config = join(dir, 'lora.yaml');
writeFileSync(config, `model:
  architecture: bert
  size: tiny
  maxLength: 32
  pooling: mean
  dropout: 0.0
data:
  trainPath: ${trainCsv}
  validationSplit: 0.25
  vocabSize: 200
training:
  epochs: 1
  batchSize: 8
  maxBatchSize: 8
  learningRate: 5.0e-3
  compile: false
  quantization:
    enabled: true
  lora:
    enabled: true
    rank: 4
tracking:
  enabled: false
outputDir: ${outputDir}
`);
const base = ['-c', config];
const asPlain = (folder: string) => ['--set', `model.pretrained=${folder}`, '--set', 'training.lora.enabled=false', '--set', 'training.quantization.enabled=false'];
const slow = { cwd: dir, timeoutMs: 300_000 };

describe('mlx-train fuse', () => {
  it('is listed in --help with examples', () => {
    expect(cli(['--help']).stdout).toMatch(/fuse .*merge a LoRA run/);
    const r = cli(['fuse', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--out <dir>/);
    expect(r.stdout).toMatch(/\$ mlx-train fuse -c lora-run\.yaml -o fused-model/);
  });

  it('fuses the best checkpoint of a LoRA run into a folder whose predictions match the LoRA model', () => {
    const train = cli(['train', ...base, '--save-adapters', '--json'], slow);
    expect(train.code, train.stderr).toBe(0);
    expect(JSON.parse(train.stdout).adapters).toBe(join(outputDir, 'adapters', 'adapters.safetensors'));

    const test = join(dir, 'test.csv');
    writeFileSync(test, lines.slice(0, 21).join('\n'));
    const lora = cli(['predict', test, ...base, '-o', join(dir, 'lora.csv')], slow);
    expect(lora.code, lora.stderr).toBe(0);

    const out = join(dir, 'fused');
    const fuse = cli(['fuse', ...base, '-o', out, '--json'], slow);
    expect(fuse.code, fuse.stderr).toBe(0);
    const result = JSON.parse(fuse.stdout);
    expect(result).toMatchObject({ output: out, fusedLayers: 4 });
    expect(result.source).toMatch(/checkpoint-\d+\.safetensors$/);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);

    const fused = cli(['predict', test, ...base, ...asPlain(out), '--checkpoint', 'none', '-o', join(dir, 'fused.csv')], slow);
    expect(fused.code, fused.stderr).toBe(0);
    expect(fused.stderr).toMatch(/with the model in .*fused \(no checkpoint\)/);
    expect(readFileSync(join(dir, 'fused.csv'), 'utf8')).toBe(readFileSync(join(dir, 'lora.csv'), 'utf8'));

    const evaluated = cli(['eval', ...base, ...asPlain(out), '--checkpoint', 'none', '--json'], slow);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).metrics.confusionMatrix).toHaveLength(2);
  }, 600_000);

  it('fuses saved adapters (--adapters) the same way, and prints the folder', () => {
    const out = join(dir, 'from-adapters');
    const r = cli(['fuse', ...base, '--adapters', join(outputDir, 'adapters'), '-o', out], slow);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(out);
    expect(r.stderr).toMatch(/fused 4 LoRA layer\(s\)/);
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(dir, 'fused', 'model.safetensors')));
  }, 300_000);

  it('refuses a non-empty output folder unless --force', () => {
    const out = join(dir, 'fused');
    const refused = cli(['fuse', ...base, '-o', out], slow);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/output folder .*fused exists and is not empty \(pass --force/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const forced = cli(['fuse', ...base, '-o', out, '--force'], slow);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('.fused'))).toEqual([]);
  }, 300_000);

  const bad: [string, string[], RegExp][] = [
    ['a config without LoRA', [...base, '--set', 'training.lora.enabled=false', '-o', join(dir, 'never')], /training\.lora\.enabled is false/],
    ['no --out', [...base], /required option '-o, --out <dir>'/],
    ['--adapters with --checkpoint', [...base, '--adapters', dir, '--checkpoint', 'latest', '-o', join(dir, 'never')], /cannot be used with option '--checkpoint/],
  ];
  for (const [name, args, pattern] of bad) {
    it(`${name} → exit 2, one clear line`, () => {
      const r = cli(['fuse', ...args], slow);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'never'))).toBe(false);
    }, 300_000);
  }
});
