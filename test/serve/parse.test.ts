/** Request bodies → rows, and the refusals MLflow's scoring server gives for the same bodies. */
import { describe, expect, it } from 'vitest';
import { ServeError } from '../../src/errors.js';
import { bodyFormat, parseJsonLenient, parseRequestBody } from '../../src/serve/parse.js';

const json = (v: unknown, single: string | null = null) => parseRequestBody(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)), 'json', single);
const refusal = (fn: () => unknown): ServeError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ServeError);
    return err as ServeError;
  }
  throw new Error('expected a refusal');
};

describe('serve request parsing', () => {
  it('reads the four JSON forms and CSV into the same rows', () => {
    const want = { columns: ['Sex', 'Age'], rows: [['male', '22'], ['female', null]] };
    expect(json({ dataframe_split: { index: [0, 1], columns: ['Sex', 'Age'], data: [['male', 22], ['female', null]] } })).toEqual(want);
    expect(json({ dataframe_records: [{ Sex: 'male', Age: 22 }, { Sex: 'female', Age: null }] })).toEqual(want);
    expect(json({ instances: [{ Sex: 'male', Age: 22 }, { Sex: 'female' }] })).toEqual(want);
    expect(json({ inputs: { Sex: ['male', 'female'], Age: [22, null] } })).toEqual(want);
    expect(parseRequestBody(Buffer.from('Sex,Age\nmale,22\nfemale,\n'), 'csv', null)).toEqual({ columns: ['Sex', 'Age'], rows: [['male', '22'], ['female', '']] });
  });

  it("takes pandas' NaN and ±Infinity tokens as Python's json does (NaN: missing), but not inside strings", () => {
    expect(json('{"dataframe_split": {"columns": ["a", "b"], "data": [[NaN, "NaN x"], [Infinity, -Infinity]]}}')).toEqual({ columns: ['a', 'b'], rows: [[null, 'NaN x'], ['inf', '-inf']] });
    expect(parseJsonLenient('{"s": "say \\"NaN\\"", "n": NaN}')).toEqual({ s: 'say "NaN"', n: null });
    expect(() => parseJsonLenient('{"a": nope}')).toThrow();
  });

  it('numbers and booleans become the text a CSV holds; a list of plain values needs a one-column model', () => {
    expect(json({ dataframe_records: [{ a: 7.25, b: true, c: 3 }] }).rows).toEqual([['7.25', 'True', '3']]);
    expect(json({ inputs: ['great film', 'dull'] }, 'review')).toEqual({ columns: ['review'], rows: [['great film'], ['dull']] });
    expect(json({ instances: ['great film'] }, 'review').rows).toEqual([['great film']]);
    expect(refusal(() => json({ inputs: ['great film'] }, null)).message).toMatch(/reads several; send records/);
  });

  it('refuses malformed JSON bodies with 400 and MLflow\u2019s error codes, naming the place', () => {
    const bad = refusal(() => json('{"dataframe_split": '));
    expect([bad.status, bad.mlflowCode]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(bad.message).toMatch(/valid JSON/);
    expect(refusal(() => json([1, 2])).message).toMatch(/exactly one of the input fields.*Received a list/);
    const two = refusal(() => json({ inputs: [], instances: [] }));
    expect([two.status, two.mlflowCode]).toEqual([400, 'BAD_REQUEST']);
    expect(refusal(() => json({ data: [] })).message).toMatch(/Received dictionary with input fields: \['data'\]/);
    expect(refusal(() => json({ dataframe_split: { columns: ['a', 'b'], data: [[1]] } })).message).toBe('dataframe_split.data[0]: 1 values for 2 columns (a, b)');
    expect(refusal(() => json({ dataframe_split: { columns: ['a', 'a'], data: [] } })).message).toMatch(/appears twice/);
    expect(refusal(() => json({ dataframe_records: [{ a: { nested: 1 } }] })).message).toBe('dataframe_records[0].a: expected a string, number, boolean or null but received an object');
    expect(refusal(() => json({ dataframe_records: [3] })).message).toMatch(/dataframe_records\[0\]: expected a record/);
    expect(refusal(() => json({ inputs: { a: [1, 2], b: [1] } })).message).toMatch(/column 'b' has 1 values but 'a' has 2/);
    expect(refusal(() => parseRequestBody(Buffer.from([0x7b, 0xff, 0x7d]), 'json', null)).message).toMatch(/UTF-8/);
    expect(refusal(() => parseRequestBody(Buffer.from('a,b\n1,2,3\n'), 'csv', null)).message).toMatch(/^Failed to parse input as CSV/);
  });

  it('content types: JSON and CSV in UTF-8; anything else is 415 as in MLflow', () => {
    expect(bodyFormat('application/json')).toBe('json');
    expect(bodyFormat('application/json; charset=UTF-8')).toBe('json');
    expect(bodyFormat('text/csv')).toBe('csv');
    for (const [type, message] of [
      ['text/plain', /only supports the following content types/],
      ['application/json; charset=latin-1', /only supports UTF-8/],
      ['application/json; format=pandas-split', /Unrecognized content type parameters: format/],
      [undefined, /no Content-Type/],
    ] as const) {
      const err = refusal(() => bodyFormat(type));
      expect(err.status).toBe(415);
      expect(err.message).toMatch(message);
    }
  });
});
