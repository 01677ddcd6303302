/**
 * Reads a CSV file into string cells with csv-parse (RFC 4180: quoted fields, embedded newlines, doubled
 * quotes). Encodings are found from the byte-order mark (UTF-8, UTF-16 LE/BE); anything unreadable fails with
 * the file, line and column, never a half-parsed table.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { DataError } from './errors.js';

export interface CsvTable {
  file: string;
  columns: string[];
  rows: string[][];
  /** 1-based line on which each row starts (rows may span lines). */
  lines: number[];
}

export interface CsvOptions {
  delimiter?: string;
}

/** Bytes → text, honouring a BOM; rejects binary data and invalid UTF-8 with the line and column of the first bad byte. */
export function decodeCsvBytes(bytes: Uint8Array, file: string): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe && bytes[2] === 0 && bytes[3] === 0) throw new DataError('UTF-32 files are not supported; save the file as UTF-8', { file });
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) throw new DataError('UTF-32 files are not supported; save the file as UTF-8', { file });
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  const nul = body.indexOf(0);
  if (nul >= 0) {
    const { line, column } = positionOfByte(body, nul);
    throw new DataError('NUL byte: this looks like a binary file (or UTF-16 without a byte-order mark), not CSV text', { file, line, column });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    const bad = firstInvalidUtf8(body);
    const { line, column } = positionOfByte(body, bad);
    throw new DataError(`invalid UTF-8 byte 0x${body[bad].toString(16).padStart(2, '0')}; save the file as UTF-8`, { file, line, column });
  }
}

function positionOfByte(bytes: Uint8Array, index: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < index; i++) if (bytes[i] === 0x0a) [line, start] = [line + 1, i + 1];
  return { line, column: index - start + 1 };
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Binary search on prefixes that decode in streaming mode (a prefix may end mid-character).
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid + 1), { stream: true });
      decoder.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return Math.min(lo, bytes.length - 1);
}

/** Where a quoted field opens and never closes (csv-parse only reports the end of the file). */
function unclosedQuote(text: string, delimiter: string): { line: number; column: number } | null {
  let line = 1;
  let col = 0;
  let inQuote = false;
  let fieldStart = true;
  let open = { line: 1, column: 1 };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    col++;
    if (inQuote) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          i++;
          col++;
        } else inQuote = false;
      }
    } else if (ch === '"' && fieldStart) {
      inQuote = true;
      open = { line, column: col };
    }
    fieldStart = !inQuote && (ch === delimiter || ch === '\n' || ch === '\r');
    if (ch === '\n') [line, col] = [line + 1, 0];
  }
  return inQuote ? open : null;
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

export function parseCsv(text: string, file: string, options: CsvOptions = {}): CsvTable {
  const delimiter = options.delimiter ?? ',';
  if (text.trim() === '') throw new DataError('the file is empty (expected a header row)', { file, line: 1 });
  let parsed: ParsedRecord[];
  try {
    parsed = parse(text, { delimiter, info: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as unknown as ParsedRecord[];
  } catch (err) {
    const e = err as Error & { code?: string; lines?: number; column?: number };
    if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
      const at = unclosedQuote(text, delimiter) ?? { line: e.lines, column: undefined };
      throw new DataError('a quoted field opens here and is never closed (unterminated quote)', { file, line: at.line, column: at.column }, { cause: err });
    }
    if (e.code === 'INVALID_OPENING_QUOTE' || e.code === 'CSV_INVALID_CLOSING_QUOTE') {
      throw new DataError(`${e.message.replace(/^[^:]*: /, '')} (quote characters inside a field must be doubled and the field quoted)`, { file, line: e.lines }, { cause: err });
    }
    throw new DataError(`cannot parse CSV: ${e.message}`, { file, line: e.lines }, { cause: err });
  }
  const [header, ...body] = parsed;
  const columns = header.record.map((c) => c.trim());
  columns.forEach((name, i) => {
    if (name === '') throw new DataError(`header column ${i + 1} has no name`, { file, line: 1, column: i + 1 });
    const first = columns.indexOf(name);
    if (first !== i) throw new DataError(`header repeats column name '${name}' (columns ${first + 1} and ${i + 1})`, { file, line: 1, column: i + 1 });
  });
  const rows: string[][] = [];
  const lines: number[] = [];
  let previousEnd = header.info.lines;
  for (const { record, info } of body) {
    // Rows may span lines; a row starts after the previous row's last line (empty lines were skipped).
    const endLine = info.lines;
    const newlinesInside = record.reduce((n, field) => n + field.split('\n').length - 1, 0);
    const startLine = Math.max(previousEnd + 1, endLine - newlinesInside);
    previousEnd = endLine;
    if (record.length !== columns.length) {
      throw new DataError(`expected ${columns.length} fields (as in the header) but found ${record.length}${record.length < columns.length ? `; missing '${columns[record.length]}' onwards` : ''}`, { file, line: startLine, column: Math.min(record.length, columns.length) + 1 });
    }
    rows.push(record);
    lines.push(startLine);
  }
  return { file, columns, rows, lines };
}

export function readCsvFile(file: string, options: CsvOptions = {}): CsvTable {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new DataError(`cannot read the CSV file: ${(err as Error).message}`, { file }, { cause: err });
  }
  return parseCsv(decodeCsvBytes(bytes, file), file, options);
}
