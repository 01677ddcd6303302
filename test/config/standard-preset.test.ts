// The standard preset's data on the embedded Titanic set and on another CSV, through the Trainer's config
// path (the data is prepared for fold 0 and the model built; nothing is trained).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TITANIC, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { Trainer } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-standard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The standard preset with only where files go changed (and, for another CSV, data.trainPath). */
function standard(set: string[] = []): Trainer {
  return new Trainer({ preset: 'standard', set: [`data.cacheDir=${join(dir, 'cache')}`, `outputDir=${join(dir, 'out')}`, 'tracking.enabled=false', ...set], log: () => {} });
}

describe('the standard preset', () => {
  it('renders the embedded data with its recommended template', () => {
    const data = standard().data;
    expect(data.options.template).toBe(TITANIC.recommendedTemplate);
    expect(data.folds).toHaveLength(5);
    expect(data.table.inputs[0]).toBe('male, Mr, class 3, age young, fare cheap, siblings 1, parents 0, port S');
  });

  it('prepares another CSV with no template override, as "name: value" pairs', () => {
    // The Titanic rows with the Name column renamed: the Titanic template would fail on it.
    const other = join(dir, 'passengers.csv');
    writeFileSync(other, readFileSync(TITANIC_TRAIN_PATH, 'utf8').replace(/^([^\n]*),Name,/, '$1,FullName,'));
    const trainer = standard([`data.trainPath=${other}`]);
    expect(trainer.config.data.template).toBe('auto');
    const data = trainer.data;
    expect(data.options.template).toBeNull();
    expect(data.folds).toHaveLength(5);
    expect(data.table.rowCount).toBe(891);
    expect(data.table.inputs[0]).toMatch(/^Pclass: 3, FullName: Braund, Mr\. Owen Harris, Sex: male, Age: 22, /);
    expect(data.tokenizer.vocabSize).toBeLessThanOrEqual(500);
  });
});
