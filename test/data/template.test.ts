// Row → text templates on Titanic rows.
import { describe, expect, it } from 'vitest';
import { compileTemplate, defaultTemplate, readCsvFile, TITANIC_TRAIN_PATH, type Row } from '../../src/data/index.js';
import { ConfigError } from '../../src/errors.js';

const table = readCsvFile(TITANIC_TRAIN_PATH);
const rows: Row[] = table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i] === '' ? null : r[i]])));
const features = table.columns.filter((c) => c !== 'Survived' && c !== 'PassengerId');
const SENTENCE = 'A [{Age}-year-old ]{Sex} in class {Pclass}[, fare {Fare}][, cabin {Cabin}], embarked at {Embarked|an unknown port}.';

describe('templates', () => {
  it('the default renders every feature as "name: value", leaving out missing cells', () => {
    const t = defaultTemplate(features);
    expect(t.render(rows[0])).toBe('Pclass: 3, Name: Braund, Mr. Owen Harris, Sex: male, Age: 22, SibSp: 1, Parch: 0, Ticket: A/5 21171, Fare: 7.25, Embarked: S');
    expect(t.render(rows[1])).toContain('Cabin: C85');
  });

  it('renders the Titanic sentence style with optional parts and fallbacks', () => {
    const t = compileTemplate(SENTENCE, table.columns);
    expect(t.render(rows[0])).toBe('A 22-year-old male in class 3, fare 7.25, embarked at S.');
    expect(t.render(rows[1])).toBe('A 38-year-old female in class 1, fare 71.2833, cabin C85, embarked at C.');
    // Row 6 (Moran, Mr. James) has no age: the optional part disappears.
    expect(t.render(rows[5])).toBe('A male in class 3, fare 8.4583, embarked at Q.');
    // Row 62 (Icard, Miss. Amelie) has no port: the fallback is used.
    expect(t.render(rows[61])).toMatch(/embarked at an unknown port\.$/);
    expect(t.columns.sort()).toEqual(['Age', 'Cabin', 'Embarked', 'Fare', 'Pclass', 'Sex']);
  });

  it('renders missing values without a fallback as missingText, and escapes literals', () => {
    const t = compileTemplate('{{Age}} is {Age} [[x]]', ['Age'], { missingText: 'n/a' });
    expect(t.render({ Age: null })).toBe('{Age} is n/a [x]');
    expect(t.render({ Age: '3' })).toBe('{Age} is 3 [x]');
    expect(compileTemplate('{Age|}!', ['Age']).render({ Age: null })).toBe('!');
  });

  it('formats cells: round, bin(label<bound, …, last) and match(regex) on Titanic rows', () => {
    const t = compileTemplate(
      '{Name:match(([A-Za-z]+)\\.)}, age {Age:bin(child<13, young<30, adult<60, old)|unknown}, fare {Fare:round}[, deck {Cabin:match(^([A-Z]))}]',
      table.columns,
    );
    expect(t.render(rows[0])).toBe('Mr, age young, fare 7'); // Braund, Mr. Owen Harris, 22, 7.25, no cabin
    expect(t.render(rows[1])).toBe('Mrs, age adult, fare 71, deck C'); // Cumings, Mrs. …, 38, 71.2833, C85
    expect(t.render(rows[5])).toBe('Mr, age unknown, fare 8'); // Moran: no age → the fallback
    expect(t.render(rows[7])).toMatch(/^Master, age child,/); // Palsson, Master. Gosta Leonard, 2
    expect(t.columns.sort()).toEqual(['Age', 'Cabin', 'Fare', 'Name']);
    // Bounds are exclusive upper limits: 13 is no longer a child.
    const age = compileTemplate('{Age:bin(child<13, adult)}', ['Age']);
    expect([age.render({ Age: '12.5' }), age.render({ Age: '13' })]).toEqual(['child', 'adult']);
  });

  it('treats a cell a format cannot use as missing, so fallbacks and optional parts apply', () => {
    const t = compileTemplate('{X:round|none}[ title {N:match(([A-Z][a-z]+)\\.)}] {X:bin(lo<0, hi)}', ['X', 'N'], { missingText: 'n/a' });
    expect(t.render({ X: 'abc', N: 'no title here' })).toBe('none n/a');
    expect(t.render({ X: '-2.6', N: 'Smith, Dr. A' })).toBe('-3 title Dr lo');
    // A column whose name holds ':' still renders as a plain column.
    expect(compileTemplate('{a:b}', ['a:b']).render({ 'a:b': 'v' })).toBe('v');
    // A ':' inside a fallback is text, not a format.
    expect(compileTemplate('{Age|age: none}', ['Age']).render({ Age: null })).toBe('age: none');
  });

  const bad: [string, string, RegExp][] = [
    ['unknown format', '{Age:floor}', /unknown format 'floor' \(formats: round, bin, match\)/],
    ['bin bounds that do not increase', '{Age:bin(a<30, b<10, c)}', /bounds must increase \(range 2\)/],
    ['bin with a bound on the last range', '{Age:bin(a<30, b<60)}', /last range needs no bound/],
    ['bin with a bound that is not a number', '{Age:bin(a<x, b)}', /bound of range 1 \('a<x'\) is not a number/],
    ['an invalid match regex', '{Name:match(()}', /match\(\): invalid regular expression/],
    ['a format with no name', '{Age:}', /expected a format name/],
    ['unknown column with a hint', 'A {age}-year-old', /unknown column 'age' \(did you mean 'Age'\?\).*character 3/],
    ['unclosed brace', 'A {Age', /'\{' is never closed at character 3/],
    ['unmatched closing brace', 'A } b', /unmatched '\}'/],
    ['unclosed optional part', 'A [{Age}', /'\[' is never closed at character 3/],
    ['unmatched closing bracket', 'A ] b', /unmatched '\]'/],
    ['nested optional parts', '[a [b]]', /cannot nest/],
    ['empty placeholder', 'A {} b', /empty \{\} placeholder/],
  ];
  for (const [name, source, pattern] of bad) {
    it(`rejects: ${name}`, () => {
      let caught: unknown;
      try {
        compileTemplate(source, table.columns);
      } catch (err) {
        caught = err;
      }
      // A template is part of the config: a ConfigError (TEMPLATE_ERROR, CLI exit 2).
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).code).toBe('TEMPLATE_ERROR');
      expect((caught as Error).message).toMatch(/option 'template'/);
      expect((caught as Error).message).toMatch(pattern);
    });
  }
});
