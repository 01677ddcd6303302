// `mlx-train config` shows what `data.template: auto` resolves to for the configured training CSV.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { TITANIC, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { cli, root } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-config-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config with data.template auto', () => {
  it('shows the embedded data\'s recommended template under template: auto, and stays valid YAML', () => {
    const r = cli(['config', '--preset', 'standard']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  template: auto\n    # auto → the recommended template of the embedded titanic data:\n    # ${TITANIC.recommendedTemplate}\n`);
    expect(parse(r.stdout)).toEqual(JSON.parse(cli(['config', '--preset', 'standard', '--json']).stdout));
  });

  it('recognises the embedded CSV written as a relative path', () => {
    const r = cli(['config', '--preset', 'standard', '--set', `data.trainPath=${relative(root, TITANIC_TRAIN_PATH)}`]);
    expect(r.stdout).toContain(`# ${TITANIC.recommendedTemplate}\n`);
  });

  it('says "name: value" for another CSV', () => {
    const other = join(dir, 'other.csv');
    writeFileSync(other, 'PassengerId,Survived,Color\n1,0,red\n2,1,blue\n');
    const r = cli(['config', '--preset', 'standard', '--set', `data.trainPath=${other}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`template: auto # auto → "name: value" pairs (${other} has no recommended template)\n`);
    expect(r.stdout).not.toContain(TITANIC.recommendedTemplate);
  });

  it('adds nothing when the template is explicit', () => {
    const r = cli(['config', '--preset', 'quick']);
    expect(r.stdout).toMatch(/^ {2}template: null\n/m);
    expect(r.stdout).not.toContain('auto →');
  });
});
