/**
 * A Hugging Face tokenizer (WordPiece or byte-level BPE) loaded from `tokenizer.json`, with the truncation,
 * padding, pairs, attention masks and type ids of the Python `tokenizers` package.
 *
 * Normalization, pre-tokenization and the WordPiece/BPE models come from `@huggingface/tokenizers`
 * (Hugging Face's own JS port). Truncation, post-processing and padding are done here because that port
 * lacks truncation/padding and treats an empty second text as no pair; their semantics follow the Rust
 * crate (checked against Python `tokenizers` in test/tokenizers).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { TokenizerError } from './errors.js';
import { createPostProcessor, type Piece, type PostProcessor } from './post-process.js';
import { checkTokenizerFits, largestTokenId, parseTokenizerJson, validateTokenizerJson } from './validate.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
export type Direction = 'right' | 'left';

export interface TruncationOptions {
  maxLength: number;
  strategy?: TruncationStrategy;
  direction?: Direction;
}

export interface PaddingOptions {
  /** Pad to a fixed length; without it a batch is padded to its longest encoding. */
  length?: number;
  padToMultipleOf?: number;
  direction?: Direction;
  padId?: number;
  padToken?: string;
  padTypeId?: number;
}

export interface Encoding {
  ids: number[];
  tokens: string[];
  typeIds: number[];
  attentionMask: number[];
  specialTokensMask: number[];
}

export interface EncodeOptions {
  addSpecialTokens?: boolean;
}

/** One input: a text, or a pair of texts (e.g. question + passage). */
export type TokenizerInput = string | readonly [string, string];

type Json = Record<string, unknown>;

const STRATEGIES: Record<string, TruncationStrategy> = { LongestFirst: 'longest_first', OnlyFirst: 'only_first', OnlySecond: 'only_second' };

function truncationFromJson(t: unknown): TruncationOptions | null {
  if (!t) return null;
  const j = t as Json;
  return {
    maxLength: j.max_length as number,
    strategy: STRATEGIES[j.strategy as string] ?? 'longest_first',
    direction: j.direction === 'Left' ? 'left' : 'right',
  };
}

function paddingFromJson(p: unknown): PaddingOptions | null {
  if (!p) return null;
  const j = p as Json;
  const strategy = j.strategy as unknown;
  const fixed = typeof strategy === 'object' && strategy !== null ? (strategy as Json).Fixed : undefined;
  return {
    length: typeof fixed === 'number' ? fixed : undefined,
    padToMultipleOf: (j.pad_to_multiple_of as number | null) ?? undefined,
    direction: j.direction === 'Left' ? 'left' : 'right',
    padId: (j.pad_id as number) ?? 0,
    padToken: (j.pad_token as string) ?? '[PAD]',
    padTypeId: (j.pad_type_id as number) ?? 0,
  };
}

function cut(piece: Piece, length: number, direction: Direction): Piece {
  if (piece.ids.length <= length) return piece;
  return direction === 'right'
    ? { ids: piece.ids.slice(0, length), tokens: piece.tokens.slice(0, length) }
    : { ids: piece.ids.slice(piece.ids.length - length), tokens: piece.tokens.slice(piece.tokens.length - length) };
}

export class Tokenizer {
  /** Truncation applied by `encode`/`encodeBatch`; null = none. Initialized from the file's `truncation`. */
  truncation: TruncationOptions | null;
  /** Padding applied by `encodeBatch` (and `encode` when it has a fixed length); null = none. */
  padding: PaddingOptions | null;
  readonly source: string;
  private readonly hf: HfTokenizer;
  private readonly post: PostProcessor;
  private readonly json: Json;

  private constructor(json: Json, source: string) {
    this.json = json;
    this.source = source;
    try {
      // The post-processor runs here, after truncation; a config of {} matches Python `tokenizers`, which ignores tokenizer_config.json.
      this.hf = new HfTokenizer({ ...json, post_processor: null, added_tokens: json.added_tokens ?? [] }, { clean_up_tokenization_spaces: false });
    } catch (err) {
      const message = (err as Error).message;
      const key = /normalizer/i.test(message) ? 'normalizer' : /pre.?tokenizer/i.test(message) ? 'pre_tokenizer' : /decoder/i.test(message) ? 'decoder' : undefined;
      throw new TokenizerError(`cannot build the tokenizer: ${message}`, { file: source, key }, { cause: err });
    }
    this.post = createPostProcessor(json.post_processor);
    this.truncation = truncationFromJson(json.truncation);
    this.padding = paddingFromJson(json.padding);
  }

  /** Loads a `tokenizer.json` file. */
  static fromFile(path: string): Tokenizer {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new TokenizerError(`cannot read the tokenizer file: ${(err as Error).message}`, { file: path }, { cause: err });
    }
    return Tokenizer.fromJSON(parseTokenizerJson(text, path), path);
  }

  /** Builds a tokenizer from a parsed `tokenizer.json` object; `source` names it in errors. */
  static fromJSON(json: unknown, source = '<tokenizer.json>'): Tokenizer {
    validateTokenizerJson(json, source);
    return new Tokenizer(json, source);
  }

  /** The `tokenizer.json` object this tokenizer was built from (with the current truncation/padding). */
  toJSON(): Json {
    const t = this.truncation;
    const p = this.padding;
    return {
      ...this.json,
      truncation: t ? { direction: t.direction === 'left' ? 'Left' : 'Right', max_length: t.maxLength, strategy: ({ longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' } as const)[t.strategy ?? 'longest_first'], stride: 0 } : null,
      padding: p ? { strategy: p.length !== undefined ? { Fixed: p.length } : 'BatchLongest', direction: p.direction === 'left' ? 'Left' : 'Right', pad_to_multiple_of: p.padToMultipleOf ?? null, pad_id: p.padId ?? 0, pad_type_id: p.padTypeId ?? 0, pad_token: p.padToken ?? '[PAD]' } : null,
    };
  }

  /** Writes `tokenizer.json` (readable by Python `tokenizers` too), atomically: temp file + rename. */
  save(path: string): void {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.toJSON()));
    renameSync(tmp, path);
  }

  get vocabSize(): number {
    return this.hf.get_vocab(true).size;
  }

  /** The token with the largest id this tokenizer can emit; a model needs at least `id + 1` embeddings. */
  get largestId(): { id: number; token: string } {
    return largestTokenId(this.json);
  }

  /** Throws a TokenizerError (naming this file, the token and the size) if an id would not fit `vocabSize` rows. */
  checkFitsVocabulary(vocabSize: number, model?: string): void {
    checkTokenizerFits(this.largestId, vocabSize, this.source, model);
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Enables truncation (chainable); the strategy defaults to longest_first, the direction to right. */
  enableTruncation(options: TruncationOptions): this {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 0) throw new TokenizerError(`expected a non-negative integer for truncation.maxLength but received ${options.maxLength}`, { key: 'truncation.maxLength' });
    this.truncation = { strategy: 'longest_first', direction: 'right', ...options };
    return this;
  }

  enablePadding(options: PaddingOptions = {}): this {
    this.padding = { direction: 'right', padId: this.tokenToId(options.padToken ?? '[PAD]') ?? 0, padToken: '[PAD]', padTypeId: 0, ...options };
    return this;
  }

  noTruncation(): this {
    this.truncation = null;
    return this;
  }

  noPadding(): this {
    this.padding = null;
    return this;
  }

  /** Tokens and ids of one text, without special tokens (normalizer → pre-tokenizer → model). */
  private raw(text: string): Piece {
    if (typeof text !== 'string') throw new TokenizerError(`expected a string to encode but received ${text === null ? 'null' : typeof text}`);
    const e = this.hf.encode(text, { add_special_tokens: false });
    return { ids: e.ids, tokens: e.tokens };
  }

  private truncate(a: Piece, b: Piece | null): [Piece, Piece | null] {
    const t = this.truncation;
    if (!t) return [a, b];
    const added = this.post.addedTokens(b !== null);
    const total = a.ids.length + (b?.ids.length ?? 0) + added;
    if (total <= t.maxLength) return [a, b];
    if (t.maxLength < added) throw new TokenizerError(`truncation.maxLength ${t.maxLength} is shorter than the ${added} special tokens the post-processor adds`, { file: this.source, key: 'truncation.max_length' });
    const budget = t.maxLength - added;
    const direction = t.direction ?? 'right';
    const toRemove = total - t.maxLength;
    const strategy = t.strategy ?? 'longest_first';
    if (strategy === 'longest_first') {
      if (!b) return [cut(a, a.ids.length - toRemove, direction), null];
      // Keep the shorter text whole when it fits in half the budget; otherwise split the budget evenly.
      let n1 = a.ids.length;
      let n2 = b.ids.length;
      const swap = n1 > n2;
      if (swap) [n1, n2] = [n2, n1];
      n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = Math.floor(budget / 2);
        n2 = n1 + (budget % 2);
      }
      if (swap) [n1, n2] = [n2, n1];
      return [cut(a, n1, direction), cut(b, n2, direction)];
    }
    const first = strategy === 'only_first';
    if (!first && !b) throw new TokenizerError('truncation strategy only_second needs a pair of texts', { key: 'truncation.strategy' });
    const target = first ? a : (b as Piece);
    if (target.ids.length <= toRemove) {
      throw new TokenizerError(`cannot truncate to ${t.maxLength} tokens with strategy ${strategy}: the ${first ? 'first' : 'second'} text has only ${target.ids.length} tokens and ${toRemove} must go`, { key: 'truncation.maxLength' });
    }
    const shorter = cut(target, target.ids.length - toRemove, direction);
    return first ? [shorter, b] : [a, shorter];
  }

  private encodeOne(input: TokenizerInput, addSpecialTokens: boolean): Encoding {
    const isPair = Array.isArray(input) && input.length === 2;
    if (typeof input !== 'string' && !isPair) throw new TokenizerError(`expected a string or a pair [string, string] to encode but received ${input === null ? 'null' : typeof input}`);
    const [textA, textB] = typeof input === 'string' ? [input, null] : [input[0], input[1]];
    const [a, b] = this.truncate(this.raw(textA), textB === null ? null : this.raw(textB));
    const p = this.post.process(a, b, addSpecialTokens);
    return { ids: p.ids, tokens: p.tokens, typeIds: p.typeIds, attentionMask: p.ids.map(() => 1), specialTokensMask: p.specialMask };
  }

  /** Encodes one text or pair; truncated per `truncation`, padded only when padding has a fixed length. */
  encode(input: TokenizerInput, options: EncodeOptions = {}): Encoding {
    const e = this.encodeOne(input, options.addSpecialTokens ?? true);
    if (this.padding) this.pad([e], this.padding);
    return e;
  }

  /** Encodes a batch, padding to the longest (or the fixed length) per `padding`. */
  encodeBatch(inputs: readonly TokenizerInput[], options: EncodeOptions = {}): Encoding[] {
    const out = inputs.map((input) => this.encodeOne(input, options.addSpecialTokens ?? true));
    if (this.padding) this.pad(out, this.padding);
    return out;
  }

  /** Pads encodings in place to a common length (never truncates). */
  pad(encodings: Encoding[], p: PaddingOptions): void {
    let target = p.length ?? Math.max(0, ...encodings.map((e) => e.ids.length));
    const multiple = p.padToMultipleOf;
    if (multiple && target % multiple !== 0) target += multiple - (target % multiple);
    const padId = p.padId ?? 0;
    const padToken = p.padToken ?? '[PAD]';
    const padType = p.padTypeId ?? 0;
    for (const e of encodings) {
      const n = target - e.ids.length;
      if (n <= 0) continue;
      const fill = <T>(v: T): T[] => new Array<T>(n).fill(v);
      const join = <T>(xs: T[], pad: T[]): T[] => (p.direction === 'left' ? [...pad, ...xs] : [...xs, ...pad]);
      e.ids = join(e.ids, fill(padId));
      e.tokens = join(e.tokens, fill(padToken));
      e.typeIds = join(e.typeIds, fill(padType));
      e.attentionMask = join(e.attentionMask, fill(0));
      e.specialTokensMask = join(e.specialTokensMask, fill(1));
    }
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true, clean_up_tokenization_spaces: false });
  }
}
