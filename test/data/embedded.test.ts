// The embedded dataset's descriptor and `template: auto`, on the real Titanic CSV and on other CSVs written here.
import { readFileSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { DataError, defaultTemplate, embeddedDatasetAt, prepareData, TITANIC, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { AUTO_TEMPLATE, resolveTemplate } from '../../src/data/embedded.js';
import { minilmDir } from '../tokenizers/reference.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('mlxt-embedded-');
afterAll(() => tmp.cleanup());

const titanicText = readFileSync(TITANIC_TRAIN_PATH, 'utf8');
/** The Titanic CSV under another name: the same bytes, but not the embedded dataset. */
const copyPath = tmp.write('passengers.csv', titanicText);
/** The same with the Name column renamed, so the Titanic template cannot apply. */
const renamedPath = tmp.write('renamed.csv', titanicText.replace(/^([^\n]*),Name,/, '$1,FullName,'));
const cacheDir = join(tmp.dir, 'cache');
const tokenizer = minilmDir();

describe('the embedded dataset descriptor', () => {
  it('describes the Titanic training set the pipeline defaults to', () => {
    expect(TITANIC.trainPath).toBe(TITANIC_TRAIN_PATH);
    expect(readFileSync(TITANIC.trainPath, 'utf8').split('\n')[0].split(',')).toEqual(expect.arrayContaining([TITANIC.labelColumn, TITANIC.idColumn]));
    const o = prepareData({ tokenizer, cacheDir: null, maxLength: 64 }).options;
    expect([o.trainPath, o.labelColumn, o.idColumn]).toEqual([TITANIC.trainPath, TITANIC.labelColumn, TITANIC.idColumn]);
  });

  it('recognises the embedded CSV however its path is written, and nothing else', () => {
    const link = join(tmp.dir, 'link.csv');
    symlinkSync(TITANIC_TRAIN_PATH, link);
    const dotted = join(TITANIC_TRAIN_PATH, '..', '..', 'titanic', 'train.csv');
    for (const path of [TITANIC_TRAIN_PATH, relative(process.cwd(), TITANIC_TRAIN_PATH), dotted, link]) {
      expect(embeddedDatasetAt(path)?.name, path).toBe('titanic');
      expect(resolveTemplate(AUTO_TEMPLATE, path), path).toBe(TITANIC.recommendedTemplate);
    }
    for (const path of [copyPath, join(tmp.dir, 'missing.csv')]) {
      expect(embeddedDatasetAt(path), path).toBeNull();
      expect(resolveTemplate(AUTO_TEMPLATE, path), path).toBeNull();
    }
  });

  it('keeps a template string or null as given', () => {
    expect(resolveTemplate('{Sex} in class {Pclass}', copyPath)).toBe('{Sex} in class {Pclass}');
    expect(resolveTemplate(null, TITANIC_TRAIN_PATH)).toBeNull();
  });
});

describe("template: 'auto' in the data pipeline", () => {
  const auto = prepareData({ tokenizer, cacheDir, maxLength: 96, template: 'auto' });
  const explicit = prepareData({ tokenizer, cacheDir, maxLength: 96, template: TITANIC.recommendedTemplate });
  const plain = prepareData({ tokenizer, cacheDir, maxLength: 96, template: null });

  it('renders the embedded data exactly as the explicit recommended template does', () => {
    expect(auto.options.template).toBe(TITANIC.recommendedTemplate);
    expect(auto.table.inputs).toEqual(explicit.table.inputs);
    // Two real rows, spelled out: Braund (Mr, 22, fare 7.25, no cabin) and Cumings (Mrs, 38, fare 71.28, C85).
    expect(auto.table.inputs.slice(0, 2)).toEqual([
      'male, Mr, class 3, age young, fare cheap, siblings 1, parents 0, port S',
      'female, Mrs, class 1, age adult, fare luxury, siblings 1, parents 0, deck C, port C',
    ]);
    expect(Array.from(auto.table.examples.ids)).toEqual(Array.from(explicit.table.examples.ids));
  });

  it('keys the token cache on the resolved template', () => {
    // Same text, same entry; different text (auto vs null on the same file), different entries.
    expect(auto.table.cache?.key).toBe(explicit.table.cache?.key);
    expect(explicit.table.cache?.hit).toBe(true);
    expect(plain.table.cache?.key).not.toBe(auto.table.cache?.key);
    expect(plain.table.cache?.hit).toBe(false);
  });

  it('renders "name: value" pairs for a CSV that is not embedded, even with the same bytes', () => {
    const copy = prepareData({ trainPath: copyPath, labelColumn: 'Survived', idColumn: 'PassengerId', tokenizer, cacheDir, maxLength: 96, template: 'auto' });
    expect(copy.options.template).toBeNull();
    expect(copy.table.inputs).toEqual(plain.table.inputs);
    expect(copy.table.cache?.key).toBe(plain.table.cache?.key);

    const renamed = prepareData({ trainPath: renamedPath, labelColumn: 'Survived', idColumn: 'PassengerId', tokenizer, cacheDir: null, maxLength: 96, template: 'auto' });
    expect(renamed.options.template).toBeNull();
    const features = ['Pclass', 'FullName', 'Sex', 'Age', 'SibSp', 'Parch', 'Ticket', 'Fare', 'Cabin', 'Embarked'];
    expect(renamed.table.inputs[0]).toBe(defaultTemplate(features).render({ Pclass: '3', FullName: 'Braund, Mr. Owen Harris', Sex: 'male', Age: '22', SibSp: '1', Parch: '0', Ticket: 'A/5 21171', Fare: '7.25', Cabin: null, Embarked: 'S' }));
    expect(renamed.table.inputs[0]).toMatch(/^Pclass: 3, FullName: Braund, Mr\. Owen Harris, Sex: male/);
  });

  it('still names the missing column when the explicit template does not fit the CSV', () => {
    let caught: unknown;
    try {
      prepareData({ trainPath: renamedPath, labelColumn: 'Survived', idColumn: 'PassengerId', tokenizer, cacheDir: null, template: TITANIC.recommendedTemplate });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).toMatch(/unknown column 'Name'/);
    expect((caught as Error).message).toMatch(/FullName/);
    expect((caught as Error).message).toMatch(/option 'template'/);
  });
});
