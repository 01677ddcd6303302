// End to end on real files: CSV → text → tokens (cached) → seeded batches → MLX int32 arrays.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, prepareData, predictionLoader, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { Tokenizer } from '../../src/tokenizers/index.js';
import { minilmDir } from '../tokenizers/reference.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('prepareData on the embedded Titanic set', () => {
  const cacheDir = join(tmp.dir, 'cache');
  const data = prepareData({ tokenizer: minilmDir(), cacheDir, maxLength: 64, batching: { batchSize: 16 } });

  it('defaults to Titanic: Survived label, PassengerId id, stratified 80/20 split', () => {
    expect(data.options.trainPath).toBe(TITANIC_TRAIN_PATH);
    expect(data.labels.classes).toEqual(['0', '1']);
    expect(data.table.rowCount).toBe(891);
    expect(data.split.train.length + data.split.validation.length).toBe(891);
    expect(data.table.ids[0]).toBe('1');
    expect(data.table.inputs[0]).toBe('Pclass: 3, Name: Braund, Mr. Owen Harris, Sex: male, Age: 22, SibSp: 1, Parch: 0, Ticket: A/5 21171, Fare: 7.25, Embarked: S');
  });

  it('tokenizes with the pretrained tokenizer, truncating to maxLength', () => {
    const tok = Tokenizer.fromFile(join(minilmDir(), 'tokenizer.json')).noPadding().enableTruncation({ maxLength: 64 });
    const e = data.table.examples;
    expect(Array.from(e.ids.subarray(e.offsets[0], e.offsets[1]))).toEqual(tok.encode(data.table.inputs[0]).ids);
    for (let i = 0; i < e.count; i++) expect(e.offsets[i + 1] - e.offsets[i]).toBeLessThanOrEqual(64);
  });

  it('caches tokens on disk and reuses them; a changed template re-tokenizes', () => {
    expect(data.table.cache?.hit).toBe(false);
    const again = prepareData({ tokenizer: minilmDir(), cacheDir, maxLength: 64 });
    expect(again.table.cache?.hit).toBe(true);
    expect(again.table.cache?.key).toBe(data.table.cache?.key);
    expect(Array.from(again.table.examples.ids)).toEqual(Array.from(data.table.examples.ids));
    const other = prepareData({ tokenizer: minilmDir(), cacheDir, maxLength: 64, template: 'A {Sex} in class {Pclass}.' });
    expect(other.table.cache?.hit).toBe(false);
    expect(other.table.cache?.key).not.toBe(data.table.cache?.key);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.bin')).length).toBe(2);
  });

  it('ignores and rewrites a damaged cache file', () => {
    const file = join(cacheDir, `tokens-${data.table.cache?.key}.bin`);
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, good.byteLength - 7));
    const again = prepareData({ tokenizer: minilmDir(), cacheDir, maxLength: 64 });
    expect(again.table.cache?.hit).toBe(false);
    expect(Array.from(again.table.examples.ids)).toEqual(Array.from(data.table.examples.ids));
    expect(readFileSync(file).equals(good)).toBe(true);
    writeFileSync(file, 'garbage');
    expect(prepareData({ tokenizer: minilmDir(), cacheDir, maxLength: 64 }).table.cache?.hit).toBe(false);
  });

  it('yields int32 MLX batches that cover the training split once per epoch', async () => {
    const loader = data.trainLoader();
    const rows: number[] = [];
    let batches = 0;
    for await (const b of loader.epoch(0)) {
      expect(b.inputIds.dtype).toBe('int32');
      expect(b.attentionMask.dtype).toBe('int32');
      expect(b.tokenTypeIds.dtype).toBe('int32');
      expect(b.labels?.dtype).toBe('int32');
      expect(b.inputIds.shape).toEqual([b.size, b.seqLen]);
      expect(b.labels?.shape).toEqual([b.size]);
      expect(b.seqLen % 8).toBe(0);
      const ids = b.inputIds.toList() as number[][];
      const mask = b.attentionMask.toList() as number[][];
      expect(ids[0][0]).toBe(101); // [CLS]
      expect(mask.flat().reduce((s, x) => s + x, 0)).toBe(b.tokens);
      expect(b.labels?.toList()).toEqual(b.rows.map((r) => data.labelIds[r]));
      rows.push(...b.rows);
      batches++;
      b.dispose();
    }
    expect(batches).toBe(loader.numBatches(0));
    expect(rows.sort((a, b) => a - b)).toEqual(data.split.train);
  });

  it('resumes mid-epoch with exactly the remaining batches', async () => {
    const loader = data.trainLoader();
    const full: number[][] = [];
    for await (const b of loader.epoch(2)) {
      full.push(b.rows);
      b.dispose();
    }
    const resumed: number[][] = [];
    for await (const b of data.trainLoader().epoch(2, { startBatch: 10 })) {
      resumed.push(b.rows);
      b.dispose();
    }
    expect(resumed).toEqual(full.slice(10));
    expect(() => loader.hostBatches(2, 999).next()).toThrow(/option 'startBatch'/);
  });

  it('validation batches come in a fixed order', () => {
    const v = data.validationLoader();
    expect(v.plan(0)).toEqual(v.plan(5));
    expect(v.plan(0).flat().sort((a, b) => a - b)).toEqual(data.split.validation);
  });

  it('k-fold selects the requested fold', () => {
    const f = prepareData({ tokenizer: minilmDir(), cacheDir, maxLength: 64, kFolds: 5, fold: 3 });
    expect(f.folds?.length).toBe(5);
    expect(f.split).toEqual(f.folds?.[3]);
    expect(f.table.cache?.hit).toBe(true);
  });
});

describe('prepareData on other CSV files (no code, just options)', () => {
  it('trains a WordPiece vocabulary when no tokenizer is given, on the training split only', () => {
    const data = prepareData({ cacheDir: null, vocabSize: 500, template: 'A [{Age}-year-old ]{Sex} in class {Pclass}, embarked at {Embarked|an unknown port}.' });
    expect(data.tokenizer.vocabSize).toBeLessThanOrEqual(500);
    expect(data.table.inputs[5]).toBe('A male in class 3, embarked at Q.');
    expect(data.tokenizer.encode(data.table.inputs[0] as string).tokens).toEqual(['[CLS]', 'a', '22', '-', 'year', '-', 'old', 'male', 'in', 'class', '3', ',', 'embarked', 'at', 's', '.', '[SEP]']);
    expect(data.table.cache).toBeNull();
  });

  it('a single text column passes through as is; string labels are encoded and saved', () => {
    const file = tmp.write('reviews.csv', 'review,sentiment\n"Great film, loved it",pos\nTerrible.,neg\n"Fine, I guess",neu\nWould watch again,pos\nNo.,neg\nMeh,neu\n');
    const data = prepareData({ trainPath: file, labelColumn: 'sentiment', tokenizer: join(minilmDir(), 'vocab.txt'), cacheDir: null, validationSplit: 0.5 });
    expect(data.table.inputs[0]).toBe('Great film, loved it');
    expect(data.labels.classes).toEqual(['neg', 'neu', 'pos']);
    expect(Array.from(data.labelIds)).toEqual([2, 0, 1, 2, 0, 1]);
    expect(data.split.validation.map((i) => data.labelIds[i]).sort()).toEqual([0, 1, 2]);
    data.labels.save(join(tmp.dir, 'labels.json'));
  });

  it('two text columns become a text pair with type ids 0/1', async () => {
    const file = tmp.write('pairs.csv', 'question,passage,answerable\nwho?,Ann wrote it,1\nwhen?,no idea,0\nwhere?,in Paris,1\nwhy?,because,0\n');
    const data = prepareData({ trainPath: file, labelColumn: 'answerable', textColumns: ['question', 'passage'], textPair: true, tokenizer: minilmDir(), cacheDir: null, validationSplit: 0.5 });
    const loader = data.trainLoader({ batching: { batchSize: 4 } });
    for await (const b of loader.epoch(0)) {
      const types = b.tokenTypeIds.toList() as number[][];
      const mask = b.attentionMask.toList() as number[][];
      for (let r = 0; r < b.size; r++) {
        expect(types[r].some((t) => t === 1)).toBe(true);
        expect(types[r].filter((t, i) => t === 1 && mask[r][i] === 0)).toEqual([]);
      }
      b.dispose();
    }
  });

  it('encodes an unlabeled file with the same rules for prediction', async () => {
    const trainFile = tmp.write('small-train.csv', 'id,color,size,label\n1,red,3,a\n2,blue,,b\n3,red,5,a\n4,green,1,b\n');
    const testFile = tmp.write('small-test.csv', 'id,color,size\n10,red,2\n11,,7\n');
    const data = prepareData({ trainPath: trainFile, labelColumn: 'label', idColumn: 'id', tokenizer: minilmDir(), cacheDir: null, validationSplit: 0.5 });
    expect(data.table.inputs[1]).toBe('color: blue');
    const test = data.encodeFile(testFile);
    expect(test.ids).toEqual(['10', '11']);
    expect(test.inputs).toEqual(['color: red, size: 2', 'size: 7']);
    const rows: number[] = [];
    for await (const b of predictionLoader(test, data.tokenizer).epoch(0)) {
      expect(b.labels).toBeNull();
      rows.push(...b.rows);
      b.dispose();
    }
    expect(rows).toEqual([0, 1]);
  });
});

describe('bad data and options fail with file, line, column or option', () => {
  const csv = (name: string, content: string): string => tmp.write(name, content);
  const cases: [string, () => unknown, RegExp][] = [
    ['missing label column', () => prepareData({ trainPath: csv('nolabel.csv', 'a,b\n1,2\n3,4\n'), labelColumn: 'y', cacheDir: null }), /nolabel.csv, line 1, option 'labelColumn': the label column 'y' is not in the header; columns: a, b/],
    ['label column in the wrong case', () => prepareData({ trainPath: csv('case.csv', 'a,Label\n1,x\n2,y\n'), labelColumn: 'label', cacheDir: null }), /did you mean 'Label'/],
    ['missing id column', () => prepareData({ trainPath: csv('noid.csv', 'a,y\n1,0\n2,1\n'), labelColumn: 'y', idColumn: 'id', cacheDir: null }), /noid.csv, line 1, option 'idColumn': the id column 'id'/],
    ['missing label value', () => prepareData({ trainPath: csv('nolabelvalue.csv', 'a,y\n1,0\n2,\n3,1\n'), labelColumn: 'y', cacheDir: null }), /nolabelvalue.csv, line 3, column 'y': missing label/],
    ['a single class', () => prepareData({ trainPath: csv('oneclass.csv', 'a,y\n1,0\n2,0\n'), labelColumn: 'y', cacheDir: null }), /at least 2/],
    ['header only', () => prepareData({ trainPath: csv('headeronly.csv', 'a,y\n'), labelColumn: 'y', cacheDir: null }), /headeronly.csv: only 0 data row/],
    ['label not in a fixed class list', () => prepareData({ trainPath: csv('classes.csv', 'a,y\n1,0\n2,7\n'), labelColumn: 'y', labelClasses: ['0', '1'], cacheDir: null }), /classes.csv, line 3, column 'y': unknown label "7"/],
    ['custom file without labelColumn', () => prepareData({ trainPath: csv('x.csv', 'a,y\n1,0\n') }), /option 'labelColumn': labelColumn is required/],
    ['unknown option with a hint', () => prepareData({ lableColumn: 'y' } as never), /option 'lableColumn': unknown data option \(did you mean 'labelColumn'\?\)/],
    ['unknown text column', () => prepareData({ textColumns: ['Nmae'], cacheDir: null, tokenizer: minilmDir() }), /option 'textColumns': the text column 'Nmae' is not in the header/],
    ['label as a text column', () => prepareData({ textColumns: ['Survived'], cacheDir: null, tokenizer: minilmDir() }), /cannot be part of the text/],
    ['unknown dropped column', () => prepareData({ dropColumns: ['Nope'], cacheDir: null, tokenizer: minilmDir() }), /option 'dropColumns'/],
    ['template naming an unknown column', () => prepareData({ template: 'A {Agee} year old', cacheDir: null, tokenizer: minilmDir() }), /option 'template': unknown column 'Agee'/],
    ['template using the label', () => prepareData({ template: 'Survived: {Survived}', cacheDir: null, tokenizer: minilmDir() }), /unknown column 'Survived'/],
    ['textPair with three columns', () => prepareData({ textColumns: ['Name', 'Sex', 'Ticket'], textPair: true, cacheDir: null, tokenizer: minilmDir() }), /option 'textPair': textPair needs exactly two/],
    ['fold out of range', () => prepareData({ kFolds: 3, fold: 3, cacheDir: null, tokenizer: minilmDir() }), /option 'fold'/],
    ['maxLength too small', () => prepareData({ maxLength: 2, cacheDir: null, tokenizer: minilmDir() }), /option 'maxLength'/],
    ['missing training file', () => prepareData({ trainPath: join(tmp.dir, 'absent.csv'), labelColumn: 'y' }), /absent.csv: cannot read the CSV file/],
    ['unterminated quote in the training file', () => prepareData({ trainPath: csv('quote.csv', 'a,y\n"oops,1\n2,0\n'), labelColumn: 'y' }), /quote.csv, line 2, column 1: .*unterminated quote/],
    ['bad tokenizer file', () => prepareData({ tokenizer: csv('tok.json', '{"model": {"type": "Unigram", "vocab": []}}'), cacheDir: null }), /tok.json \(key 'model.type'\): unsupported model type/],
  ];
  for (const [name, run, pattern] of cases) {
    it(name, () => {
      let caught: unknown;
      try {
        run();
      } catch (err) {
        caught = err;
      }
      expect(caught, 'expected an error').toBeInstanceOf(Error);
      expect((caught as { code?: string }).code).toMatch(/^(DATA_ERROR|TOKENIZER_ERROR|TEMPLATE_ERROR)$/);
      expect((caught as Error).message).toMatch(pattern);
    });
  }

  it('DataError carries the location as fields', () => {
    try {
      prepareData({ trainPath: csv('fields.csv', 'a,y\n1,0\n2,\n'), labelColumn: 'y', cacheDir: null });
    } catch (err) {
      expect(err).toBeInstanceOf(DataError);
      expect(err).toMatchObject({ line: 3, column: 'y', code: 'DATA_ERROR' });
    }
  });
});
