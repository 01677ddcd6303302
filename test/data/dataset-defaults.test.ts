// Schema defaults carry no Titanic assumptions into other data: with only trainPath and labelColumn set,
// any CSV trains (no id column unless the CSV has a known one); the embedded data keeps its own columns.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig, Trainer } from '../../src/index.js';
import { tinyModelFactory } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-data-defaults-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function csv(name: string, header: string[], row: (i: number) => string[]): string {
  const path = join(root, name);
  writeFileSync(path, `${[header.join(','), ...Array.from({ length: 20 }, (_, i) => row(i).join(','))].join('\n')}\n`);
  return path;
}

/** The data a Trainer prepares from the schema defaults plus `data`. */
function prepared(data: Record<string, unknown>) {
  const trainer = Trainer.fromConfig({ data: { cacheDir: join(root, 'cache'), vocabSize: 100, ...data }, tracking: { enabled: false }, outputDir: join(root, 'out') }, { createModel: tinyModelFactory(0), log: () => {}, progress: false });
  return trainer.data;
}

describe('data defaults', () => {
  it('another CSV needs only trainPath and labelColumn: no id column is assumed', () => {
    expect(resolveConfig({ env: {} }).config.data).toMatchObject({ idColumn: 'auto', labelColumn: 'auto' });
    const path = csv('reviews.csv', ['text', 'sentiment'], (i) => [`review number ${i} was ${i % 2 ? 'good' : 'bad'}`, i % 2 ? 'pos' : 'neg']);
    const data = prepared({ trainPath: path, labelColumn: 'sentiment' });
    expect(data.options.idColumn).toBeNull();
    expect(data.labels.classes).toEqual(['neg', 'pos']);
  });

  it('a CSV with the known columns (Kaggle’s Titanic file) keeps them as label and id, out of the text', () => {
    const path = csv('kaggle-train.csv', ['PassengerId', 'Survived', 'Name'], (i) => [String(100 + i), String(i % 2), `Person ${i}`]);
    const data = prepared({ trainPath: path });
    expect(data.options.labelColumn).toBe('Survived');
    expect(data.options.idColumn).toBe('PassengerId');
    expect(data.table.ids[0]).toBe('100');
    expect(JSON.stringify(data.table.inputs[0])).not.toContain('100');
    // null says: no id column, even when one is there.
    expect(prepared({ trainPath: path, labelColumn: 'Survived', idColumn: null }).options.idColumn).toBeNull();
  });

  it('another CSV without labelColumn is an error naming the key, not a missing Survived column', () => {
    const path = csv('nolabel.csv', ['text', 'sentiment'], (i) => [`row ${i}`, i % 2 ? 'pos' : 'neg']);
    expect(() => prepared({ trainPath: path })).toThrow(/labelColumn is required: .*nolabel\.csv has none of the known label columns; set it to one of: text, sentiment/);
  });

  it('the embedded Titanic data keeps its label and id columns', () => {
    const data = prepared({});
    expect(data.options.labelColumn).toBe('Survived');
    expect(data.options.idColumn).toBe('PassengerId');
  });
});
