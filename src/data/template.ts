/**
 * Row → text templates.
 *
 * Syntax (documented in docs and the config reference):
 *   {Column}            the cell's text as written in the CSV; a missing cell renders `missingText` ("unknown")
 *   {Column|fallback}   the cell, or `fallback` when it is missing ({Cabin|} drops it)
 *   {Column:format}     the cell passed through a format (fallback still last: {Age:bin(...)|unknown}):
 *     round                         a number rounded to a whole number ("7.25" → "7")
 *     bin(child<13, adult<60, old)  a number as the label of its range: the first `label<bound` whose bound
 *                                   exceeds it, else the last, bound-less label. Words are easier for a
 *                                   tokenizer trained from scratch than digits that split into pieces.
 *     match(regex)                  the regex's first capture group (or whole match), e.g. a title from a name
 *   A cell a format cannot use (not a number; no match) counts as missing. Arguments cannot contain '}',
 *   and a fallback after a format cannot contain ')' (the arguments end at the last ')').
 *   [ ... ]             an optional part, left out entirely when any {Column} inside it is missing
 *   {{ }} [[ ]]         literal braces / brackets
 * Runs of spaces are collapsed and the result trimmed, so optional parts need no care with spacing.
 *
 * Example (Titanic): "A [{Age}-year-old ]{Sex} in class {Pclass}[, fare {Fare}][, cabin {Cabin}], embarked at {Embarked|an unknown port}."
 */
import { ConfigError } from '../errors.js';
import { nearestName } from './nearest.js';

export type Row = Readonly<Record<string, string | null>>;

/** Turns a cell into its rendered text, or null when the cell does not fit the format. */
type Format = (value: string) => string | null;

type Part = { kind: 'text'; text: string } | { kind: 'field'; column: string; format: Format | null; fallback: string | null } | { kind: 'optional'; parts: Part[] };

export interface TemplateOptions {
  missingText?: string;
}

export interface CompiledTemplate {
  source: string;
  columns: string[];
  render(row: Row): string;
}

function toNumber(value: string): number | null {
  const n = Number(value.trim());
  return value.trim() !== '' && Number.isFinite(n) ? n : null;
}

function binFormat(args: string, fail: (message: string) => never): Format {
  const specs = args.split(',').map((a) => a.trim());
  const bins = specs.map((spec, k) => {
    const lt = spec.lastIndexOf('<');
    const label = (lt < 0 ? spec : spec.slice(0, lt)).trim();
    if (!label) fail(`bin(): range ${k + 1} has no label`);
    if (lt < 0) {
      if (k !== specs.length - 1) fail(`bin(): only the last range may omit '<bound' (range ${k + 1}: '${spec}')`);
      return { label, below: Infinity };
    }
    const below = toNumber(spec.slice(lt + 1));
    if (below === null) fail(`bin(): the bound of range ${k + 1} ('${spec}') is not a number`);
    if (k === specs.length - 1) fail(`bin(): the last range needs no bound, so values at or above '${spec.slice(lt + 1).trim()}' have a label`);
    return { label, below: below as number };
  });
  if (bins.length < 2) fail('bin(): expected at least two ranges, e.g. bin(low<10, high)');
  for (let k = 1; k < bins.length; k++) if (!(bins[k].below > bins[k - 1].below)) fail(`bin(): bounds must increase (range ${k + 1})`);
  return (value) => {
    const n = toNumber(value);
    return n === null ? null : (bins.find((b) => n < b.below) as { label: string }).label;
  };
}

function makeFormat(name: string, args: string | null, fail: (message: string) => never): Format {
  if (name === 'round') {
    if (args !== null) fail('round takes no arguments');
    return (value) => {
      const n = toNumber(value);
      return n === null ? null : String(Math.round(n));
    };
  }
  if (name === 'bin') return binFormat(args ?? fail('bin needs ranges, e.g. bin(low<10, high)'), fail);
  if (name === 'match') {
    let re: RegExp;
    try {
      re = new RegExp(args ?? fail('match needs a regular expression, e.g. match(([A-Za-z]+)\\.)'));
    } catch (err) {
      return fail(`match(): invalid regular expression: ${(err as Error).message}`);
    }
    return (value) => {
      const m = re.exec(value);
      return m ? (m[1] ?? m[0]) : null;
    };
  }
  return fail(`unknown format '${name}' (formats: round, bin, match)`);
}

/** `Column`, `Column|fallback`, `Column:format`, `Column:format(args)|fallback`. */
function parseField(body: string, columns: readonly string[], fail: (message: string) => never): { column: string; format: Format | null; fallback: string | null } {
  const bar = body.indexOf('|');
  const plain = (bar < 0 ? body : body.slice(0, bar)).trim();
  // A column whose own name holds ':' keeps working as before.
  const colon = columns.includes(plain) ? -1 : body.indexOf(':');
  const column = (colon >= 0 && (bar < 0 || colon < bar) ? body.slice(0, colon) : plain).trim();
  if (!column) fail('empty {} placeholder');
  if (!columns.includes(column)) {
    const hint = nearestName(column, columns);
    fail(`unknown column '${column}'${hint ? ` (did you mean '${hint}'?)` : ''}; columns: ${columns.join(', ')};`);
  }
  if (colon < 0 || (bar >= 0 && bar < colon)) return { column, format: null, fallback: bar < 0 ? null : body.slice(bar + 1) };
  let rest = body.slice(colon + 1);
  const name = (/^\s*([A-Za-z]+)/.exec(rest) ?? [])[1];
  if (!name) fail(`expected a format name after ':' in {${body}}`);
  rest = rest.slice(rest.indexOf(name) + name.length);
  let args: string | null = null;
  if (rest.trimStart().startsWith('(')) {
    const open = rest.indexOf('(');
    const closeParen = rest.lastIndexOf(')');
    if (closeParen < open) fail(`'(' of format '${name}' is never closed`);
    args = rest.slice(open + 1, closeParen);
    rest = rest.slice(closeParen + 1);
  }
  const trailing = rest.trim();
  if (trailing && !trailing.startsWith('|')) fail(`unexpected '${trailing}' after format '${name}'`);
  const fallback = trailing.startsWith('|') ? rest.slice(rest.indexOf('|') + 1) : null;
  return { column, format: makeFormat(name, args, (m) => fail(`${m} in {${body}}`)), fallback };
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
    throw new ConfigError(`option 'template': ${message} at character ${at + 1} of template ${JSON.stringify(source)}`, 'TEMPLATE_ERROR');
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
      const field = parseField(source.slice(i + 1, close), columns, (message) => fail(message, i));
      flush();
      current.push({ kind: 'field', ...field });
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
  if (typeof source !== 'string') throw new ConfigError(`option 'template': expected a string but received ${typeof source}`, 'TEMPLATE_ERROR');
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
        const cell = row[p.column];
        const value = cell === null || cell === undefined || p.format === null ? cell : p.format(cell);
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
