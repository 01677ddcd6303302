/**
 * Learns a WordPiece vocabulary from training texts, for models trained from scratch without a pretrained
 * tokenizer. Same procedure as the WordPiece trainer of Hugging Face `tokenizers`: BERT normalization and
 * pre-tokenization, an alphabet of every character (plus its `##` continuation form), then repeated merges of
 * the most frequent adjacent pair (ties go to the pair of lower ids) until the vocabulary is full or the best
 * pair is rarer than `minFrequency`.
 */
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { bertTokenizerFromVocab } from './bert.js';
import { TokenizerError } from './errors.js';
import type { Tokenizer } from './tokenizer.js';

export interface WordPieceTrainOptions {
  vocabSize?: number;
  minFrequency?: number;
  lowercase?: boolean;
  specialTokens?: string[];
  /** Keep only the most frequent characters in the alphabet (rare ones become [UNK]). */
  limitAlphabet?: number;
}

const PREFIX = '##';
const DEFAULT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** BERT normalizer + pre-tokenizer from `@huggingface/tokenizers`, so training sees the words encoding will. */
function bertWordSplitter(lowercase: boolean): (text: string) => string[] {
  const hf = new HfTokenizer(
    {
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      model: { type: 'WordPiece', vocab: { '[UNK]': 0 }, unk_token: '[UNK]', continuing_subword_prefix: PREFIX, max_input_chars_per_word: 100 },
      post_processor: null,
      decoder: null,
      added_tokens: [],
    },
    {},
  );
  const normalize = hf.normalizer as unknown as (t: string) => string;
  const preTokenize = hf.pre_tokenizer as unknown as (t: string) => string[];
  return (text) => preTokenize(normalize(text));
}

function countWords(texts: Iterable<string>, split: (t: string) => string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const word of split(text)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

function chooseAlphabet(words: Map<string, number>, limit: number | undefined): Set<string> {
  const freq = new Map<string, number>();
  for (const [word, n] of words) for (const ch of word) freq.set(ch, (freq.get(ch) ?? 0) + n);
  let kept = [...freq.entries()];
  if (limit !== undefined && kept.length > limit) kept = kept.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
  return new Set(kept.map(([ch]) => ch));
}

const byCodePoint = (a: string, b: string): number => (a.codePointAt(0) as number) - (b.codePointAt(0) as number);
const pairKey = (a: number, b: number): number => a * 2 ** 21 + b;

/** The learned vocabulary, index = id: special tokens, characters, `##` characters, then merges in order. */
export function trainWordPieceVocab(texts: Iterable<string>, options: WordPieceTrainOptions = {}): string[] {
  const { vocabSize = 8000, minFrequency = 2, lowercase = true, specialTokens = DEFAULT_SPECIALS, limitAlphabet } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < specialTokens.length + 1) {
    throw new TokenizerError(`expected an integer > ${specialTokens.length} for vocabSize but received ${vocabSize}`, { key: 'tokenizer.train.vocabSize' });
  }
  const words = countWords(texts, bertWordSplitter(lowercase));
  const alphabet = chooseAlphabet(words, limitAlphabet);

  const vocab: string[] = [];
  const ids = new Map<string, number>();
  const add = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(token);
      ids.set(token, id);
    }
    return id;
  };
  specialTokens.forEach(add);
  [...alphabet].sort(byCodePoint).forEach(add);
  const continuation = new Set<string>();
  for (const word of words.keys()) [...word].slice(1).forEach((ch) => alphabet.has(ch) && continuation.add(ch));
  [...continuation].sort(byCodePoint).forEach((ch) => add(PREFIX + ch));

  // Words as symbol ids; a character outside the alphabet splits the word (it will encode as [UNK]).
  const symbols: number[][] = [];
  const counts: number[] = [];
  for (const [word, n] of words) {
    const chars = [...word];
    if (!chars.every((ch) => alphabet.has(ch))) continue;
    symbols.push(chars.map((ch, i) => ids.get(i === 0 ? ch : PREFIX + ch) as number));
    counts.push(n);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const tally = (w: number, sign: 1 | -1): void => {
    const s = symbols[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = pairKey(s[i], s[i + 1]);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * counts[w]);
      if (sign === 1) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  symbols.forEach((_, w) => tally(w, 1));

  while (vocab.length < vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, n] of pairCounts) if (n > bestCount || (n === bestCount && n > 0 && key < bestKey)) [bestKey, bestCount] = [key, n];
    if (bestKey < 0 || bestCount < minFrequency) break;
    const a = Math.floor(bestKey / 2 ** 21);
    const b = bestKey % 2 ** 21;
    const right = vocab[b];
    const merged = add(vocab[a] + (right.startsWith(PREFIX) ? right.slice(PREFIX.length) : right));
    for (const w of pairWords.get(bestKey) ?? []) {
      tally(w, -1);
      const s = symbols[w];
      const out: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]);
      }
      symbols[w] = out;
      tally(w, 1);
    }
    pairCounts.delete(bestKey);
    pairWords.delete(bestKey);
  }
  return vocab;
}

/** Trains a vocabulary on `texts` and returns a BERT WordPiece tokenizer over it. */
export function trainWordPiece(texts: Iterable<string>, options: WordPieceTrainOptions = {}): Tokenizer {
  return bertTokenizerFromVocab(trainWordPieceVocab(texts, options), { lowercase: options.lowercase ?? true }, '<trained WordPiece>');
}
