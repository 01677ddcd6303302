/**
 * A scoring request's body → rows, following MLflow's pyfunc scoring protocol: `text/csv` with a header,
 * or `application/json` holding exactly one of `dataframe_split`, `dataframe_records`, `instances`,
 * `inputs` (other keys, such as `params`, are ignored as MLflow ignores them). Every refusal is a
 * ServeError whose status and error code are the ones MLflow's server gives for the same body.
 */
import { parseCsv } from '../data/csv.js';
import { DataError, ServeError } from '../errors.js';

/** Rows in named columns; null is a missing cell (JSON null or NaN). */
export interface RequestRows {
  columns: string[];
  rows: (string | null)[][];
}

export const INPUT_KEYS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const REQUIRED_INPUT_FORMAT = `The input must be a JSON dictionary with exactly one of the input fields {${INPUT_KEYS.map((k) => `'${k}'`).join(', ')}}`;

export type BodyFormat = 'csv' | 'json';

/** The media type of a request, checked as MLflow checks it: UTF-8 only, no parameter but charset (415 otherwise). */
export function bodyFormat(contentType: string | undefined): BodyFormat {
  if (!contentType) throw new ServeError("no Content-Type: send 'application/json' (dataframe_split, dataframe_records, instances or inputs) or 'text/csv'", 'SERVE_UNSUPPORTED_MEDIA_TYPE');
  const [mime, ...params] = contentType.split(';').map((p) => p.trim());
  const values = new Map(params.map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p, ''] : [p.slice(0, eq).trim(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')];
  }));
  if ((values.get('charset') ?? 'utf-8').toLowerCase() !== 'utf-8') throw new ServeError('The scoring server only supports UTF-8', 'SERVE_UNSUPPORTED_MEDIA_TYPE');
  const unknown = [...values.keys()].filter((k) => k !== 'charset');
  if (unknown.length) throw new ServeError(`Unrecognized content type parameters: ${unknown.join(', ')}`, 'SERVE_UNSUPPORTED_MEDIA_TYPE');
  const type = mime.toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/json') return 'json';
  throw new ServeError(`This predictor only supports the following content types: Types: ['text/csv', 'application/json']. Got '${contentType}'.`, 'SERVE_UNSUPPORTED_MEDIA_TYPE');
}

function decodeUtf8(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw new ServeError('Ensure that input is a valid UTF-8 encoded string: the body holds bytes that are not UTF-8', 'SERVE_BAD_REQUEST', 'INVALID_PARAMETER_VALUE');
  }
}

/**
 * JSON as Python's json module reads it: MLflow's client writes a pandas NaN as the bare token `NaN` (and
 * ±inf as `Infinity`), which JSON.parse refuses. Only when plain parsing fails are those tokens, outside
 * strings, rewritten (NaN → null, a missing cell; ±Infinity → "inf" / "-inf", Python's spelling).
 */
export function parseJsonLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    let out = '';
    let i = 0;
    let changed = false;
    while (i < text.length) {
      const ch = text[i];
      if (ch === '"') {
        let j = i + 1;
        while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        out += text.slice(i, j + 1);
        i = j + 1;
        continue;
      }
      const token = text.startsWith('NaN', i) ? ['NaN', 'null'] : text.startsWith('-Infinity', i) ? ['-Infinity', '"-inf"'] : text.startsWith('Infinity', i) ? ['Infinity', '"inf"'] : null;
      if (token) {
        out += token[1];
        i += token[0].length;
        changed = true;
        continue;
      }
      out += ch;
      i++;
    }
    if (!changed) throw first;
    return JSON.parse(out);
  }
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/** One JSON cell as the CSV text it stands for; null for a missing cell. */
function cellText(value: unknown, where: () => string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  // What pandas writes into a CSV for a bool column.
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  throw new ServeError(`${where()}: expected a string, number, boolean or null but received ${kindOf(value)}`, 'SERVE_BAD_REQUEST', 'INVALID_PARAMETER_VALUE');
}

/** `[{col: value}, …]`: the columns are every key seen, in first-seen order; a key a record lacks is missing. */
function fromRecords(records: unknown[], key: string): RequestRows {
  const columns: string[] = [];
  const seen = new Set<string>();
  records.forEach((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new ServeError(`${key}[${i}]: expected a record (an object of column: value) but received ${kindOf(r)}`);
    for (const c of Object.keys(r)) if (!seen.has(c)) (seen.add(c), columns.push(c));
  });
  const rows = records.map((r, i) => columns.map((c) => cellText((r as Record<string, unknown>)[c], () => `${key}[${i}].${c}`)));
  return { columns, rows };
}

/** `{col: [values…]}`: every column must hold a list of the same length (a scalar stands for one row). */
function fromColumns(data: Record<string, unknown>, key: string): RequestRows {
  const columns = Object.keys(data);
  const lists = columns.map((c) => (Array.isArray(data[c]) ? (data[c] as unknown[]) : [data[c]]));
  const n = lists[0]?.length ?? 0;
  lists.forEach((l, j) => {
    if (l.length !== n) throw new ServeError(`${key}: column '${columns[j]}' has ${l.length} values but '${columns[0]}' has ${n}; every column needs one value per row`);
  });
  const rows = Array.from({ length: n }, (_, i) => lists.map((l, j) => cellText(l[i], () => `${key}.${columns[j]}[${i}]`)));
  return { columns, rows };
}

/** A list of plain values: one row each, of the model's single input column (null when it reads several). */
function fromValues(values: unknown[], key: string, singleColumn: string | null): RequestRows {
  if (singleColumn === null) {
    throw new ServeError(`${key}: a list of plain values needs a model that reads one column, but this one reads several; send records ([{"column": value, …}]) or dataframe_split`);
  }
  return { columns: [singleColumn], rows: values.map((v, i) => [cellText(v, () => `${key}[${i}]`)]) };
}

function fromSplit(split: unknown): RequestRows {
  if (split === null || typeof split !== 'object' || Array.isArray(split)) throw new ServeError(`dataframe_split: expected an object {"columns": [...], "data": [[...], ...]} but received ${kindOf(split)}`);
  const { columns, data } = split as { columns?: unknown; data?: unknown };
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) throw new ServeError('dataframe_split.columns: expected a list of column names (strings)');
  if (new Set(columns).size !== columns.length) throw new ServeError(`dataframe_split.columns: a column name appears twice (${columns.join(', ')})`);
  if (!Array.isArray(data)) throw new ServeError(`dataframe_split.data: expected a list of rows but received ${kindOf(data)}`);
  const rows = data.map((row, i) => {
    if (!Array.isArray(row)) throw new ServeError(`dataframe_split.data[${i}]: expected a list of ${columns.length} values but received ${kindOf(row)}`);
    if (row.length !== columns.length) throw new ServeError(`dataframe_split.data[${i}]: ${row.length} values for ${columns.length} columns (${columns.join(', ')})`);
    return row.map((v, j) => cellText(v, () => `dataframe_split.data[${i}][${j}] (column '${columns[j]}')`));
  });
  return { columns: columns as string[], rows };
}

/** `instances` / `inputs` (TF-serving style): records, a dict of columns, or plain values. */
function fromTensorInput(value: unknown, key: string, singleColumn: string | null): RequestRows {
  if (Array.isArray(value)) {
    if (value.length === 0) return { columns: [], rows: [] };
    const objects = value.filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v)).length;
    if (objects === value.length) return fromRecords(value, key);
    if (objects === 0 && value.every((v) => !Array.isArray(v))) return fromValues(value, key, singleColumn);
    throw new ServeError(`${key}: expected a list of records or a list of plain values, not a mix of ${[...new Set(value.map(kindOf))].join(', ')}`);
  }
  if (value !== null && typeof value === 'object') return fromColumns(value as Record<string, unknown>, key);
  return fromValues([value], key, singleColumn);
}

function parseJsonBody(text: string, singleColumn: string | null): RequestRows {
  let body: unknown;
  try {
    body = parseJsonLenient(text);
  } catch (err) {
    throw new ServeError(`Ensure that input is a valid JSON formatted string. Error: ${(err as Error).message}`, 'SERVE_BAD_REQUEST', 'INVALID_PARAMETER_VALUE');
  }
  if (Array.isArray(body)) throw new ServeError(`${REQUIRED_INPUT_FORMAT}. Received a list.`, 'SERVE_BAD_REQUEST', 'INVALID_PARAMETER_VALUE');
  if (body === null || typeof body !== 'object') throw new ServeError(`${REQUIRED_INPUT_FORMAT}. Received ${kindOf(body)}.`, 'SERVE_BAD_REQUEST', 'INVALID_PARAMETER_VALUE');
  const keys = Object.keys(body);
  const formats = keys.filter((k) => (INPUT_KEYS as readonly string[]).includes(k));
  if (formats.length !== 1) throw new ServeError(`${REQUIRED_INPUT_FORMAT}. Received dictionary with input fields: [${keys.map((k) => `'${k}'`).join(', ')}].`);
  const key = formats[0] as (typeof INPUT_KEYS)[number];
  const value = (body as Record<string, unknown>)[key];
  switch (key) {
    case 'dataframe_split':
      return fromSplit(value);
    case 'dataframe_records':
      if (!Array.isArray(value)) throw new ServeError(`dataframe_records: expected a list of records but received ${kindOf(value)}`);
      return fromRecords(value, key);
    default:
      return fromTensorInput(value, key, singleColumn);
  }
}

function parseCsvBody(text: string): RequestRows {
  if (text.trim() === '') return { columns: [], rows: [] };
  try {
    const table = parseCsv(text, 'the request body');
    return { columns: table.columns, rows: table.rows };
  } catch (err) {
    if (err instanceof DataError) throw new ServeError(`Failed to parse input as CSV: ${err.message}`);
    throw err;
  }
}

/**
 * Parses a request body. `singleColumn`: the model's one input column when it reads exactly one (then a
 * list of plain values in `inputs`/`instances` is a list of texts), else null.
 */
export function parseRequestBody(body: Uint8Array, format: BodyFormat, singleColumn: string | null): RequestRows {
  const text = decodeUtf8(body);
  return format === 'csv' ? parseCsvBody(text) : parseJsonBody(text, singleColumn);
}
