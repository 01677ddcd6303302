/**
 * A tokenizer whose ids exceed the model's vocabulary would make the embedding lookup read past its
 * table inside the compiled training step. Loading such a pair is an error naming the tokenizer file,
 * the token, its id and the vocabulary size: through loadPretrained and through the Trainer.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { models, Trainer } from '../../src/index.js';
import { TokenizerError } from '../../src/tokenizers/index.js';

const fixture = join(import.meta.dirname, '..', 'fixtures', 'models-modernbert-tiny');
const vocabSize = (JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size;
const root = mkdtempSync(join(tmpdir(), 'mlxt-tok-fit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The tiny ModernBERT checkpoint with a WordPiece tokenizer.json whose largest id is `maxId`. */
function checkpointWithTokenizer(name: string, maxId: number): { dir: string; tokenizer: string } {
  const dir = join(root, name);
  cpSync(fixture, dir, { recursive: true });
  const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1, '[CLS]': 2, '[SEP]': 3, '[MASK]': 4 };
  'abcdefghijklmnopqrstuvwxyz'.split('').forEach((ch, i) => (vocab[ch] = 5 + i));
  vocab.far = maxId;
  const tokenizer = join(dir, 'tokenizer.json');
  writeFileSync(tokenizer, JSON.stringify({
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', cls: ['[CLS]', 2], sep: ['[SEP]', 3] },
    decoder: null,
    added_tokens: [],
  }));
  return { dir, tokenizer };
}

describe('tokenizer ids against the model vocabulary', () => {
  it('loadPretrained refuses a tokenizer with an id past the vocabulary', () => {
    const { dir, tokenizer } = checkpointWithTokenizer('too-big', vocabSize);
    let caught: unknown;
    try {
      models.loadPretrained(dir);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TokenizerError);
    expect((caught as Error).message).toBe(`${tokenizer}: token "far" has id ${vocabSize} but the model in ${dir}'s vocabulary has ${vocabSize} entries (ids 0 to ${vocabSize - 1})`);
  });

  it('the largest id that fits (vocabulary size - 1) loads', () => {
    const { dir } = checkpointWithTokenizer('fits', vocabSize - 1);
    const loaded = models.loadPretrained(dir);
    expect(loaded.tokenizer?.largestId).toEqual({ id: vocabSize - 1, token: 'far' });
  });

  it('the Trainer refuses the pair at setup, before any training step', () => {
    const { dir, tokenizer } = checkpointWithTokenizer('trainer', vocabSize + 1000);
    const trainer = new Trainer({
      overrides: { model: { pretrained: dir }, training: { epochs: 1, compile: true }, tracking: { enabled: false }, outputDir: join(root, 'out') },
      log: () => {}, progress: false, plots: false,
    });
    expect(() => trainer.setup()).toThrow(`${tokenizer}: token "far" has id ${vocabSize + 1000} but the model in ${dir}'s vocabulary has ${vocabSize} entries`);
  });
});
