/**
 * Row → text templates.
 *
 * Syntax (documented in docs and the config reference):
 *   {Column}            the cell's text as written in the CSV; a missing cell renders `missingText` ("unknown")
 *   {Column|fallback}   the cell, or `fallback` when it is missing ({Cabin|} drops it)
 *   [ ... ]             an optional part, left out entirely when any {Column} inside it is missing
 *   {{ }} [[ ]]         literal braces / brackets
 * Runs of spaces are collapsed and the result trimmed, so optional parts need no care with spacing.
 *
 * Example (Titanic): "A [{Age}-year-old ]{Sex} in class {Pclass}[, fare {Fare}][, cabin {Cabin}], embarked at {Embarked|an unknown port}."
 */
import { DataError } from './errors.js';
import { nearestName } from './nearest.js';

export type Row = Readonly<Record<string, string | null>>;

type Part = { kind: 'text'; text: string } | { kind: 'field'; column: string; fallback: string | null } | { kind: 'optional'; parts: Part[] };

export interface TemplateOptions {
  missingText?: string;
}

export interface CompiledTemplate {
  source: string;
  columns: string[];
  render(row: Row): string;
}

function parseTemplate(source: string, columns: readonly string[]): Part[] {
  const top: Part[] = [];
  let current = top;
  let optionalStart = -1;
  let text = '';
  const flush = (): void => {
    if (text) current.push({ kind: 'text', text });
    text = '';
  };
  const fail = (message: string, at: number): never => {
    throw new DataError(`${message} at character ${at + 1} of template ${JSON.stringify(source)}`, { key: 'template' });
  };
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    const next = source[i + 1];
    if ((ch === '{' || ch === '}' || ch === '[' || ch === ']') && next === ch) {
      text += ch;
      i++;
    } else if (ch === '{') {
      const close = source.indexOf('}', i);
      if (close < 0) fail("'{' is never closed", i);
      const body = source.slice(i + 1, close);
      const bar = body.indexOf('|');
      const column = (bar < 0 ? body : body.slice(0, bar)).trim();
      if (!column) fail('empty {} placeholder', i);
      if (!columns.includes(column)) {
        const hint = nearestName(column, columns);
        fail(`unknown column '${column}'${hint ? ` (did you mean '${hint}'?)` : ''}; columns: ${columns.join(', ')};`, i);
      }
      flush();
      current.push({ kind: 'field', column, fallback: bar < 0 ? null : body.slice(bar + 1) });
      i = close;
    } else if (ch === '}') {
      fail("unmatched '}' (write '}}' for a literal brace)", i);
    } else if (ch === '[') {
      if (current !== top) fail("optional parts cannot nest ('[' inside '[')", i);
      flush();
      const parts: Part[] = [];
      top.push({ kind: 'optional', parts });
      current = parts;
      optionalStart = i;
    } else if (ch === ']') {
      if (current === top) fail("unmatched ']' (write ']]' for a literal bracket)", i);
      flush();
      current = top;
    } else text += ch;
  }
  if (current !== top) fail("'[' is never closed", optionalStart);
  flush();
  return top;
}

export function compileTemplate(source: string, columns: readonly string[], options: TemplateOptions = {}): CompiledTemplate {
  if (typeof source !== 'string') throw new DataError(`expected a string but received ${typeof source}`, { key: 'template' });
  const missingText = options.missingText ?? 'unknown';
  const parts = parseTemplate(source, columns);
  const used = new Set<string>();
  const collect = (ps: Part[]): void => ps.forEach((p) => (p.kind === 'field' ? used.add(p.column) : p.kind === 'optional' ? collect(p.parts) : undefined));
  collect(parts);

  const renderParts = (ps: Part[], row: Row, strict: boolean): string | null => {
    let out = '';
    for (const p of ps) {
      if (p.kind === 'text') out += p.text;
      else if (p.kind === 'optional') out += renderParts(p.parts, row, true) ?? '';
      else {
        const value = row[p.column];
        if (value !== null && value !== undefined) out += value;
        else if (p.fallback !== null) out += p.fallback;
        else if (strict) return null;
        else out += missingText;
      }
    }
    return out;
  };
  return {
    source,
    columns: [...used],
    render: (row) => (renderParts(parts, row, false) as string).replace(/ {2,}/g, ' ').trim(),
  };
}

/** The default template: every feature as "name: value", joined by ", "; missing cells are left out. */
export function defaultTemplate(features: readonly string[]): CompiledTemplate {
  return {
    source: `<default: ${features.map((f) => `${f}: {${f}}`).join(', ')}>`,
    columns: [...features],
    render: (row) =>
      features
        .filter((f) => row[f] !== null && row[f] !== undefined)
        .map((f) => `${f}: ${row[f]}`)
        .join(', '),
  };
}
