/**
 * MLflow's search filter language, parsed into a small AST. Grammar (what MLflow's SearchUtils accepts):
 *
 *   filter     := clause ( AND clause )*
 *   clause     := identifier comparator value
 *   identifier := [entity '.'] key        key: bare word (dots allowed), `backticked` or "double quoted"
 *   entity     := metrics|metric | params|param|parameters|parameter | tags|tag
 *               | attributes|attribute|attr|run | datasets|dataset          (none → attribute)
 *   comparator := = != < <= > >= | LIKE | ILIKE | IN | NOT IN | IS NULL | IS NOT NULL
 *   value      := number | 'string' | "string" | ( string, ... )
 *
 * The AST is turned into SQL with bound parameters only (search/sql.ts); nothing here reaches SQL text.
 */
import { invalidParameter, type StoreError } from '../errors.js';

export type EntityType = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';
export type Comparator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface Clause {
  type: EntityType;
  key: string;
  comparator: Comparator;
  /** number for numeric comparisons, string for string ones, string[] for IN lists, null for IS [NOT] NULL. */
  value: number | string | string[] | null;
  /** 0-based offset of the clause in the filter string (for error messages). */
  position: number;
}

export interface OrderBy {
  type: EntityType;
  key: string;
  ascending: boolean;
}

const ENTITY_ALIASES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'parameter',
  params: 'parameter',
  parameter: 'parameter',
  parameters: 'parameter',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

/** What a particular search (runs, experiments, registered models) allows. */
export interface FilterSchema {
  entities: readonly EntityType[];
  /** attribute key → its kind; aliases map to canonical names via `attributeAliases`. */
  attributes: Readonly<Record<string, 'string' | 'numeric'>>;
  attributeAliases?: Readonly<Record<string, string>>;
  datasetKeys?: readonly string[];
  /** Comparators allowed per entity kind (string attributes and numeric attributes separately). */
  comparators: Readonly<Record<EntityType | 'numericAttribute' | 'stringAttribute', readonly Comparator[]>>;
}

const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];

export const RUN_FILTER_SCHEMA: FilterSchema = {
  entities: ['metric', 'parameter', 'tag', 'attribute', 'dataset'],
  attributes: {
    run_id: 'string',
    run_name: 'string',
    status: 'string',
    user_id: 'string',
    artifact_uri: 'string',
    lifecycle_stage: 'string',
    start_time: 'numeric',
    end_time: 'numeric',
  },
  attributeAliases: { created: 'start_time', Created: 'start_time', 'run name': 'run_name', 'Run name': 'run_name', 'Run Name': 'run_name' },
  datasetKeys: ['name', 'digest', 'context'],
  comparators: {
    metric: NUMERIC_COMPARATORS,
    parameter: [...STRING_COMPARATORS, 'IS NULL', 'IS NOT NULL'],
    tag: [...STRING_COMPARATORS, 'IS NULL', 'IS NOT NULL'],
    attribute: [],
    stringAttribute: [...STRING_COMPARATORS, 'IN', 'NOT IN'],
    numericAttribute: NUMERIC_COMPARATORS,
    dataset: [...STRING_COMPARATORS, 'IN', 'NOT IN'],
  },
};

/** Experiments and registered models filter on tags and a few attributes only. */
const TAG_AND_ATTRIBUTE_COMPARATORS: FilterSchema['comparators'] = {
  metric: [],
  parameter: [],
  tag: STRING_COMPARATORS,
  attribute: [],
  stringAttribute: STRING_COMPARATORS,
  numericAttribute: NUMERIC_COMPARATORS,
  dataset: [],
};

export const EXPERIMENT_FILTER_SCHEMA: FilterSchema = {
  entities: ['attribute', 'tag'],
  attributes: { name: 'string', experiment_id: 'string', creation_time: 'numeric', last_update_time: 'numeric' },
  comparators: TAG_AND_ATTRIBUTE_COMPARATORS,
};

export const REGISTERED_MODEL_FILTER_SCHEMA: FilterSchema = {
  entities: ['attribute', 'tag'],
  attributes: { name: 'string', creation_timestamp: 'numeric', last_updated_timestamp: 'numeric' },
  comparators: TAG_AND_ATTRIBUTE_COMPARATORS,
};

type TokenKind = 'word' | 'backtick' | 'dquote' | 'squote' | 'number' | 'op' | 'dot' | 'lparen' | 'rparen' | 'comma' | 'end';
interface Token {
  kind: TokenKind;
  text: string;
  /** Unquoted content for quoted tokens; the text otherwise. */
  value: string;
  position: number;
}

function syntaxError(source: string, position: number, message: string): StoreError {
  const near = position >= source.length ? 'end of input' : `'${source.slice(position, position + 20)}'`;
  return invalidParameter(`Invalid filter '${source}': ${message} at position ${position} (near ${near})`);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === "'" || ch === '"' || ch === '`') {
      let value = '';
      i++;
      for (;;) {
        if (i >= source.length) throw syntaxError(source, start, `unterminated ${ch} quote`);
        if (source[i] === '\\' && i + 1 < source.length) {
          value += source[i + 1];
          i += 2;
        } else if (source[i] === ch && source[i + 1] === ch) {
          value += ch; // SQL-style doubled quote
          i += 2;
        } else if (source[i] === ch) {
          i++;
          break;
        } else {
          value += source[i++];
        }
      }
      const kind = ch === "'" ? 'squote' : ch === '"' ? 'dquote' : 'backtick';
      tokens.push({ kind, text: source.slice(start, i), value, position: start });
      continue;
    }
    const number = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
    const prev = tokens[tokens.length - 1];
    // A number only where a value may start (after an operator), so `a.b1` stays one identifier.
    if (number && (prev?.kind === 'op' || (/\d|\./.test(ch) && prev?.kind !== 'dot' && prev?.kind !== 'word'))) {
      i += number[0].length;
      tokens.push({ kind: 'number', text: number[0], value: number[0], position: start });
      continue;
    }
    const op = /^(?:!=|<>|<=|>=|==|=|<|>)/.exec(source.slice(i));
    if (op) {
      i += op[0].length;
      tokens.push({ kind: 'op', text: op[0], value: op[0], position: start });
      continue;
    }
    if (ch === '.' || ch === '(' || ch === ')' || ch === ',') {
      i++;
      const kind = ch === '.' ? 'dot' : ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma';
      tokens.push({ kind, text: ch, value: ch, position: start });
      continue;
    }
    const word = /^\w[\w\-:/]*/.exec(source.slice(i));
    if (word) {
      i += word[0].length;
      tokens.push({ kind: 'word', text: word[0], value: word[0], position: start });
      continue;
    }
    throw syntaxError(source, start, `unexpected character '${ch}'`);
  }
  tokens.push({ kind: 'end', text: '', value: '', position: source.length });
  return tokens;
}

class Parser {
  private index = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly schema: FilterSchema,
  ) {}

  private peek(): Token {
    return this.tokens[this.index];
  }
  private next(): Token {
    return this.tokens[this.index++];
  }
  private fail(token: Token, message: string): never {
    throw syntaxError(this.source, token.position, message);
  }
  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.value.toUpperCase() === word;
  }
  atEnd(): boolean {
    return this.peek().kind === 'end';
  }

  /** entity '.' key | key — returns the canonical entity type and key. */
  identifier(): { type: EntityType; key: string; position: number } {
    const first = this.next();
    const position = first.position;
    if (first.kind === 'backtick' || first.kind === 'dquote') return { type: 'attribute', key: first.value, position };
    if (first.kind !== 'word') this.fail(first, `expected an identifier such as metrics.<key>, found '${first.text || 'end of input'}'`);
    if (this.peek().kind !== 'dot') return { type: 'attribute', key: first.value, position };
    this.next();
    const entity = ENTITY_ALIASES[first.value];
    if (!entity || !this.schema.entities.includes(entity)) {
      const valid = this.schema.entities.join(', ');
      this.fail(first, `invalid entity type '${first.value}' (valid: ${valid})`);
    }
    const keyToken = this.next();
    let key: string;
    if (keyToken.kind === 'backtick' || keyToken.kind === 'dquote') key = keyToken.value;
    else if (keyToken.kind === 'word' || keyToken.kind === 'number') {
      // Bare keys may contain dots (tags.mlflow.runName): glue word/dot/number tokens that touch.
      key = keyToken.value;
      let end = keyToken.position + keyToken.text.length;
      while (['dot', 'word', 'number'].includes(this.peek().kind) && this.peek().position === end) {
        const t = this.next();
        key += t.text;
        end = t.position + t.text.length;
      }
    } else this.fail(keyToken, `expected a key after '${first.value}.'`);
    return { type: entity, key, position };
  }

  comparator(): { comparator: Comparator; token: Token } {
    const token = this.next();
    if (token.kind === 'op') {
      if (token.text === '==' || token.text === '<>') this.fail(token, `invalid comparator '${token.text}' (use = or !=)`);
      return { comparator: token.text as Comparator, token };
    }
    if (this.isWord(token, 'LIKE') || this.isWord(token, 'ILIKE') || this.isWord(token, 'IN')) {
      return { comparator: token.value.toUpperCase() as Comparator, token };
    }
    if (this.isWord(token, 'NOT') && this.isWord(this.peek(), 'IN')) {
      this.next();
      return { comparator: 'NOT IN', token };
    }
    if (this.isWord(token, 'IS')) {
      if (this.isWord(this.peek(), 'NOT')) this.next();
      const nullToken = this.next();
      if (!this.isWord(nullToken, 'NULL')) this.fail(nullToken, "expected NULL after 'IS' / 'IS NOT'");
      const negated = this.tokens[this.index - 2].value.toUpperCase() === 'NOT';
      return { comparator: negated ? 'IS NOT NULL' : 'IS NULL', token };
    }
    this.fail(token, `expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL), found '${token.text || 'end of input'}'`);
  }

  clause(): Clause {
    const ident = this.identifier();
    let { type, key } = ident;
    const { comparator, token: compToken } = this.comparator();
    let allowed: readonly Comparator[];
    let numeric = false;
    if (type === 'attribute') {
      key = this.schema.attributeAliases?.[key] ?? key;
      const kind = this.schema.attributes[key];
      if (!kind) {
        throw syntaxError(
          this.source,
          ident.position,
          `invalid attribute key '${key}' (valid: ${Object.keys(this.schema.attributes).join(', ')})`,
        );
      }
      numeric = kind === 'numeric';
      allowed = this.schema.comparators[numeric ? 'numericAttribute' : 'stringAttribute'];
    } else {
      if (type === 'dataset' && !this.schema.datasetKeys?.includes(key)) {
        throw syntaxError(this.source, ident.position, `invalid dataset key '${key}' (valid: ${this.schema.datasetKeys?.join(', ')})`);
      }
      numeric = type === 'metric';
      allowed = this.schema.comparators[type];
    }
    if (!allowed.includes(comparator)) {
      this.fail(compToken, `comparator '${comparator}' is not valid for ${type} '${key}' (valid: ${allowed.join(', ')})`);
    }
    let value: Clause['value'] = null;
    if (comparator === 'IN' || comparator === 'NOT IN') value = this.list();
    else if (comparator !== 'IS NULL' && comparator !== 'IS NOT NULL') {
      const token = this.next();
      if (numeric) {
        if (token.kind !== 'number') this.fail(token, `expected a number for ${type} '${key}', found '${token.text || 'end of input'}'`);
        value = Number(token.value);
      } else {
        if (token.kind !== 'squote' && token.kind !== 'dquote') {
          this.fail(token, `expected a quoted string for ${type} '${key}' (e.g. 'my-value'), found '${token.text || 'end of input'}'`);
        }
        value = token.value;
      }
    }
    return { type, key, comparator, value, position: ident.position };
  }

  private list(): string[] {
    const open = this.next();
    if (open.kind !== 'lparen') this.fail(open, "expected '(' to start a list of quoted strings");
    const items: string[] = [];
    for (;;) {
      const item = this.next();
      if (item.kind !== 'squote' && item.kind !== 'dquote') this.fail(item, 'expected a quoted string in the list');
      items.push(item.value);
      const sep = this.next();
      if (sep.kind === 'rparen') return items;
      if (sep.kind !== 'comma') this.fail(sep, "expected ',' or ')' in the list");
    }
  }

  filter(): Clause[] {
    const clauses: Clause[] = [];
    if (this.atEnd()) return clauses;
    clauses.push(this.clause());
    while (!this.atEnd()) {
      const and = this.next();
      if (!this.isWord(and, 'AND')) {
        this.fail(and, this.isWord(and, 'OR') ? "'OR' is not supported; only AND joins clauses" : `expected AND, found '${and.text}'`);
      }
      clauses.push(this.clause());
    }
    return clauses;
  }

  orderBy(): OrderBy {
    const ident = this.identifier();
    let ascending = true;
    if (!this.atEnd()) {
      const dir = this.next();
      if (this.isWord(dir, 'DESC')) ascending = false;
      else if (!this.isWord(dir, 'ASC')) this.fail(dir, `expected ASC or DESC, found '${dir.text}'`);
    }
    if (!this.atEnd()) this.fail(this.peek(), 'unexpected text after the sort direction');
    let key = ident.key;
    if (ident.type === 'attribute') {
      key = this.schema.attributeAliases?.[key] ?? key;
      if (!this.schema.attributes[key]) {
        throw syntaxError(this.source, ident.position, `invalid order_by attribute '${key}' (valid: ${Object.keys(this.schema.attributes).join(', ')})`);
      }
    } else if (ident.type === 'dataset') {
      throw syntaxError(this.source, ident.position, 'cannot order by a dataset field');
    }
    return { type: ident.type, key, ascending };
  }
}

/** Parses a filter string; empty or whitespace means no condition. */
export function parseFilter(filter: string | undefined, schema: FilterSchema = RUN_FILTER_SCHEMA): Clause[] {
  if (filter === undefined || filter.trim() === '') return [];
  if (typeof filter !== 'string') throw invalidParameter(`filter must be a string, got ${typeof filter}`);
  return new Parser(filter, tokenize(filter), schema).filter();
}

/** Parses one order_by entry such as `metrics.acc DESC` or `` params.`learning rate` ``. */
export function parseOrderBy(orderBy: string, schema: FilterSchema = RUN_FILTER_SCHEMA): OrderBy {
  if (typeof orderBy !== 'string' || orderBy.trim() === '') throw invalidParameter(`Invalid order_by clause '${String(orderBy)}'`);
  return new Parser(orderBy, tokenize(orderBy), schema).orderBy();
}
