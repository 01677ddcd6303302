// CSV loading on real files: the embedded Titanic set and small files written here.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, readCsvFile, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { inferColumnTypes } from '../../src/data/columns.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('readCsvFile', () => {
  it('reads the embedded Kaggle Titanic training set (891 rows, 12 columns)', () => {
    const t = readCsvFile(TITANIC_TRAIN_PATH);
    expect(t.columns).toEqual(['PassengerId', 'Survived', 'Pclass', 'Name', 'Sex', 'Age', 'SibSp', 'Parch', 'Ticket', 'Fare', 'Cabin', 'Embarked']);
    expect(t.rows.length).toBe(891);
    expect(t.rows[0]).toEqual(['1', '0', '3', 'Braund, Mr. Owen Harris', 'male', '22', '1', '0', 'A/5 21171', '7.25', '', 'S']);
    // Quoted names with embedded quotes: "Johnston, Miss. Catherine Helen ""Carrie"""
    expect(t.rows.map((r) => r[3])).toContain('Johnston, Miss. Catherine Helen "Carrie"');
    expect(t.lines[0]).toBe(2);
    expect(t.lines[890]).toBe(892);
    expect(readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n').filter(Boolean).length).toBe(892);
  });

  it('types the Titanic columns and counts missing values', () => {
    const info = Object.fromEntries(inferColumnTypes(readCsvFile(TITANIC_TRAIN_PATH)).map((c) => [c.name, c]));
    expect(info.Age.type).toBe('number');
    expect(info.Age.missing).toBe(177);
    expect(info.Cabin.missing).toBe(687);
    expect(info.Embarked.missing).toBe(2);
    expect(info.Sex.type).toBe('category');
    expect(info.Name.type).toBe('text');
    expect(info.Fare.type).toBe('number');
  });

  it('handles quoted fields, embedded newlines and delimiters, doubled quotes, CRLF, blank lines and missing cells', () => {
    const f = tmp.write('quoted.csv', 'id,text,label\r\n1,"hello, world",a\r\n\r\n2,"line one\nline two",b\r\n3,"say ""hi""",\r\n4,,a\r\n');
    const t = readCsvFile(f);
    expect(t.rows).toEqual([
      ['1', 'hello, world', 'a'],
      ['2', 'line one\nline two', 'b'],
      ['3', 'say "hi"', ''],
      ['4', '', 'a'],
    ]);
    expect(t.lines).toEqual([2, 4, 6, 7]);
  });

  it('accepts UTF-8, UTF-16 LE and UTF-16 BE byte-order marks', () => {
    const text = 'name,label\nCafé 東京 🚢,1\nZoë,0\n';
    const expected = [['Café 東京 🚢', '1'], ['Zoë', '0']];
    expect(readCsvFile(tmp.write('bom8.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).rows).toEqual(expected);
    expect(readCsvFile(tmp.write('bom8.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).columns).toEqual(['name', 'label']);
    expect(readCsvFile(tmp.write('bom16le.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))).rows).toEqual(expected);
    const be = Buffer.from(text, 'utf16le').swap16();
    expect(readCsvFile(tmp.write('bom16be.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).rows).toEqual(expected);
  });

  it('supports another delimiter', () => {
    expect(readCsvFile(tmp.write('semi.csv', 'a;b\n1,5;x\n'), { delimiter: ';' }).rows).toEqual([['1,5', 'x']]);
  });
});

describe('malformed CSV files fail with file, line and column', () => {
  const cases: [string, string | Uint8Array, RegExp][] = [
    ['unterminated quote', 'id,text\n1,ok\n2,"never closed\n3,x\n', /line 3, column 3: .*unterminated quote/],
    ['unterminated quote on the last line', 'id,text\n1,"a\n', /line 2, column 3: .*never closed/],
    ['row with too few fields', 'a,b,c\n1,2,3\n4,5\n', /line 3, column 3: expected 3 fields .* found 2; missing 'c'/],
    ['row with too many fields', 'a,b\n1,2\n3,4,5\n', /line 3, column 3: expected 2 fields .* found 3/],
    ['ragged row after a multi-line field', 'a,b\n1,"x\ny"\n2\n', /line 4, .*expected 2 fields/],
    ['empty file', '', /empty/],
    ['whitespace-only file', '  \n\n  \n', /empty/],
    ['binary garbage (PNG header)', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), /line 3, column 1: NUL byte.*binary/],
    ['NUL byte inside text', 'a,b\n1,x\u0000y\n', /line 2, column 4: NUL byte/],
    ['invalid UTF-8', new Uint8Array([...Buffer.from('a,b\n1,caf'), 0xe9, ...Buffer.from(',2\n')]), /line 2, column 6: invalid UTF-8 byte 0xe9/],
    ['UTF-32 LE byte-order mark', new Uint8Array([0xff, 0xfe, 0, 0, 0x61, 0, 0, 0]), /UTF-32/],
    ['UTF-32 BE byte-order mark', new Uint8Array([0, 0, 0xfe, 0xff, 0, 0, 0, 0x61]), /UTF-32/],
    ['UTF-16 without a byte-order mark', Buffer.from('a,b\n1,2\n', 'utf16le'), /NUL byte.*UTF-16 without a byte-order mark/],
    ['duplicate header names', 'a,b,a\n1,2,3\n', /line 1, column 3: header repeats column name 'a'/],
    ['empty header name', 'a,,c\n1,2,3\n', /line 1, column 2: header column 2 has no name/],
    ['quote inside an unquoted field', 'a,b\n1,ab"c"d\n', /line 2/],
    ['text after a closing quote', 'a,b\n1,"ab"cd\n', /line 2.*quote/],
  ];
  for (const [name, content, pattern] of cases) {
    it(name, () => {
      const file = tmp.write(`${name.replace(/\W+/g, '-')}.csv`, content);
      let caught: unknown;
      try {
        readCsvFile(file);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(DataError);
      expect((caught as Error).message).toContain(file);
      expect((caught as Error).message).toMatch(pattern);
    });
  }

  it('a missing file names the path', () => {
    expect(() => readCsvFile(`${tmp.dir}/nope.csv`)).toThrow(/nope.csv: cannot read the CSV file/);
  });
});
