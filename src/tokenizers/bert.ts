/** BERT-style WordPiece tokenizers from a plain token list or a `vocab.txt` (one token per line, id = line - 1). */
import { readFileSync } from 'node:fs';
import { TokenizerError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

export interface BertOptions {
  lowercase?: boolean;
  /** null (the default) strips accents exactly when lowercasing, as BERT does. */
  stripAccents?: boolean | null;
  unkToken?: string;
  clsToken?: string;
  sepToken?: string;
  padToken?: string;
  maskToken?: string;
  maxInputCharsPerWord?: number;
}

/** The `tokenizer.json` object of a BERT WordPiece tokenizer over `vocab` (index = id). */
export function bertTokenizerJson(vocab: readonly string[], options: BertOptions = {}, source = '<vocab>'): Record<string, unknown> {
  const o = { lowercase: true, stripAccents: null, unkToken: '[UNK]', clsToken: '[CLS]', sepToken: '[SEP]', padToken: '[PAD]', maskToken: '[MASK]', maxInputCharsPerWord: 100, ...options };
  const ids = new Map<string, number>();
  vocab.forEach((token, id) => ids.set(token, id));
  const need = (token: string, role: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new TokenizerError(`the ${role} token ${JSON.stringify(token)} is not in the vocabulary`, { file: source });
    return id;
  };
  const cls = need(o.clsToken, 'CLS');
  const sep = need(o.sepToken, 'SEP');
  need(o.unkToken, 'unknown');
  const specials = [o.padToken, o.unkToken, o.clsToken, o.sepToken, o.maskToken].filter((t) => ids.has(t));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content) => ({ id: ids.get(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: o.stripAccents, lowercase: o.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: o.clsToken, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: o.sepToken, type_id: 0 } }],
      pair: [
        { SpecialToken: { id: o.clsToken, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: o.sepToken, type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: o.sepToken, type_id: 1 } },
      ],
      special_tokens: {
        [o.clsToken]: { id: o.clsToken, ids: [cls], tokens: [o.clsToken] },
        [o.sepToken]: { id: o.sepToken, ids: [sep], tokens: [o.sepToken] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: o.unkToken, continuing_subword_prefix: '##', max_input_chars_per_word: o.maxInputCharsPerWord, vocab: Object.fromEntries(ids) },
  };
}

/** Reads a `vocab.txt`; duplicate or empty tokens are errors naming their lines. */
export function readVocabTxt(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TokenizerError(`cannot read the vocabulary file: ${(err as Error).message}`, { file: path }, { cause: err });
  }
  if (text.includes('\u0000')) throw new TokenizerError('the vocabulary file contains NUL bytes (binary, not a vocab.txt)', { file: path });
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new TokenizerError('the vocabulary file is empty', { file: path });
  const seen = new Map<string, number>();
  lines.forEach((token, i) => {
    if (token === '') throw new TokenizerError(`line ${i + 1} is empty; every line must hold one token`, { file: path });
    const first = seen.get(token);
    if (first !== undefined) throw new TokenizerError(`token ${JSON.stringify(token)} on line ${i + 1} repeats line ${first + 1}`, { file: path });
    seen.set(token, i);
  });
  return lines;
}

export function bertTokenizerFromVocab(vocab: readonly string[], options: BertOptions = {}, source = '<vocab>'): Tokenizer {
  return Tokenizer.fromJSON(bertTokenizerJson(vocab, options, source), source);
}

export function bertTokenizerFromVocabFile(path: string, options: BertOptions = {}): Tokenizer {
  return bertTokenizerFromVocab(readVocabTxt(path), options, path);
}
