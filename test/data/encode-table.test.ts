/** Rows already in memory (a `serve` request) encode exactly as the same rows in a file; only the text's columns are required. */
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, prepareData, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('PreparedData.encodeTable and inputColumns', () => {
  it('a template reads only its columns; in-memory rows with just those encode as the file does', () => {
    const data = prepareData({ trainPath: TITANIC_TRAIN_PATH, template: '{Sex}, class {Pclass}, age {Age|unknown}', vocabSize: 200, cacheDir: tmp.dir });
    expect(data.inputColumns).toEqual(['Sex', 'Pclass', 'Age']);
    const file = tmp.write('test.csv', 'PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n1,3,"A, Mr. B",male,22,1,0,A/5 21171,7.25,,S\n2,1,"C, Mrs. D",female,,1,0,PC 17599,71.2833,C85,C\n');
    const fromFile = data.encodeFile(file);
    const fromRows = data.encodeTable({ file: 'the request', columns: ['Age', 'Sex', 'Pclass'], rows: [['22', 'male', '3'], ['', 'female', '1']], lines: [1, 2] });
    expect(fromRows.inputs).toEqual(['male, class 3, age 22', 'female, class 1, age unknown']);
    expect(fromRows.inputs).toEqual(fromFile.inputs);
    expect(Array.from(fromRows.examples.ids)).toEqual(Array.from(fromFile.examples.ids));
    expect(fromRows.ids).toEqual([null, null]);
    // In-memory rows never touch the token cache.
    expect(fromRows.cache).toBeNull();
    expect(fromFile.cache).not.toBeNull();
    expect(() => data.encodeTable({ file: 'the request', columns: ['Sex', 'Age'], rows: [['male', '3']], lines: [1] })).toThrow(/the request, line 1, option 'textColumns': the feature column 'Pclass' is not in the header/);
  });

  it('without a template: the text columns (label, id and dropped columns excluded)', () => {
    const file = tmp.write('train.csv', 'id,color,size,note,label\n1,red,3,x,a\n2,blue,1,y,b\n3,red,5,z,a\n4,green,1,w,b\n');
    const data = prepareData({ trainPath: file, labelColumn: 'label', idColumn: 'id', dropColumns: ['note'], vocabSize: 50, minFrequency: 1, cacheDir: null });
    expect(data.inputColumns).toEqual(['color', 'size']);
    const table = parseCsv('size,color\n2,red\n', 'rows');
    expect(data.encodeTable(table).inputs).toEqual(['color: red, size: 2']);
  });
});
