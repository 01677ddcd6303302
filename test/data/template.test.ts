// Row → text templates on Titanic rows.
import { describe, expect, it } from 'vitest';
import { compileTemplate, DataError, defaultTemplate, readCsvFile, TITANIC_TRAIN_PATH, type Row } from '../../src/data/index.js';

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

  const bad: [string, string, RegExp][] = [
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
      expect(caught).toBeInstanceOf(DataError);
      expect((caught as Error).message).toMatch(/option 'template'/);
      expect((caught as Error).message).toMatch(pattern);
    });
  }
});
