// Bad tokenizer files: each must fail with a TokenizerError naming the file and the key / line at fault.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { loadTokenizer, Tokenizer, TokenizerError } from '../../src/tokenizers/index.js';
import { bpeTitanicPath } from './reference.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-tok-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = (): Record<string, any> => JSON.parse(readFileSync(bpeTitanicPath, 'utf8'));
const wordpiece = (): Record<string, any> => ({
  model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, a: 3, '##b': 4 } },
  normalizer: null, pre_tokenizer: { type: 'BertPreTokenizer' }, post_processor: null, decoder: null, added_tokens: [],
});

let n = 0;
function expectFileError(name: string, content: string | Buffer, pattern: RegExp): void {
  it(name, () => {
    const file = join(dir, `case-${n++}${name.includes('vocab.txt') ? '.txt' : '.json'}`);
    writeFileSync(file, content);
    let caught: unknown;
    try {
      loadTokenizer(file);
    } catch (err) {
      caught = err;
    }
    expect(caught, 'expected an error').toBeInstanceOf(TokenizerError);
    const message = (caught as Error).message;
    expect(message).toContain(file);
    expect(message).toMatch(pattern);
    expect((caught as TokenizerError).code).toBe('TOKENIZER_ERROR');
  });
}
const json = (mutate: (j: Record<string, any>) => void, base = good): string => {
  const j = base();
  mutate(j);
  return JSON.stringify(j, null, 1);
};

describe('malformed tokenizer files', () => {
  expectFileError('truncated JSON', readFileSync(bpeTitanicPath, 'utf8').slice(0, 5000), /invalid JSON at line \d+, column \d+/);
  expectFileError('empty tokenizer.json', '', /invalid JSON at line 1, column 1/);
  expectFileError('JSON syntax error names its line', '{\n  "model": {\n    "type": "BPE",,\n  }\n}', /line 3, column/);
  expectFileError('binary garbage', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255, 254]), /invalid JSON/);
  expectFileError('top level is an array', '[1, 2, 3]', /top level.*array/);
  expectFileError('missing model', json((j) => delete j.model), /missing 'model'/);
  expectFileError('model is a string', json((j) => (j.model = 'BPE')), /key 'model'.*found string/);
  expectFileError('unknown model type', json((j) => (j.model.type = 'Unigram')), /key 'model.type'.*unsupported model type "Unigram"/);
  expectFileError('missing vocab', json((j) => delete j.model.vocab), /key 'model.vocab'.*found undefined/);
  expectFileError('empty vocab', json((j) => (j.model.vocab = {})), /key 'model.vocab'.*empty/);
  expectFileError('negative id in vocab', json((j) => (j.model.vocab.a = -1)), /key 'model.vocab.a'.*non-negative/);
  expectFileError('non-integer id in vocab', json((j) => (j.model.vocab.a = 'x')), /key 'model.vocab.a'/);
  expectFileError('duplicate ids in vocab', json((j) => (j.model.vocab.zzz = 0)), /share id 0/);
  expectFileError('merges missing', json((j) => delete j.model.merges), /key 'model.merges'/);
  expectFileError('merge with three parts', json((j) => (j.model.merges[3] = 'a b c')), /key 'model.merges\[3\]'.*two tokens/);
  expectFileError('merge token not in vocab', json((j) => (j.model.merges[0] = ['Ġ', 'qqqq'])), /key 'model.merges\[0\]'.*"qqqq".*not in model.vocab/);
  expectFileError('WordPiece unk token not in vocab', json((j) => (j.model.unk_token = '<nope>'), wordpiece), /key 'model.unk_token'.*"<nope>"/);
  expectFileError('WordPiece unk token missing', json((j) => delete j.model.unk_token, wordpiece), /key 'model.unk_token'/);
  expectFileError('added_tokens not an array', json((j) => (j.added_tokens = {})), /key 'added_tokens'/);
  expectFileError('added token without id', json((j) => delete j.added_tokens[1].id), /key 'added_tokens\[1\]'/);
  expectFileError('normalizer without type', json((j) => (j.normalizer = { lowercase: true })), /key 'normalizer'/);
  expectFileError('unknown normalizer type', json((j) => (j.normalizer = { type: 'Nonsense' })), /key 'normalizer'.*Nonsense/);
  expectFileError('unknown post-processor type', json((j) => (j.post_processor = { type: 'Mystery' })), /key 'post_processor.type'.*Mystery/);
  expectFileError('template references an undefined special token', json((j) => (j.post_processor.single[0].SpecialToken.id = '[X]')), /key 'post_processor.single\[0\]'.*"\[X\]"/);
  expectFileError('template sequence id not A/B', json((j) => (j.post_processor.pair[1] = { Sequence: { id: 'C', type_id: 0 } })), /key 'post_processor.pair\[1\]'/);
  expectFileError('BertProcessing cls malformed', json((j) => (j.post_processor = { type: 'BertProcessing', cls: '[CLS]', sep: ['[SEP]', 2] })), /key 'post_processor.cls'/);
  expectFileError('truncation is a number', json((j) => (j.truncation = 128)), /key 'truncation'/);
  expectFileError('truncation max_length negative', json((j) => (j.truncation = { max_length: -1, strategy: 'LongestFirst' })), /key 'truncation.max_length'/);
  expectFileError('added token id taken by another vocab token', json((j) => (j.added_tokens[1].id = 5)), /key 'added_tokens\[1\]'.*added token "<s>" has id 5, which already belongs to/);
  expectFileError('added token content with another vocab id', json((j) => (j.added_tokens[0].id = 3)), /key 'added_tokens\[0\]'.*"<pad>" has id 3/);
  expectFileError('two added tokens share an id', json((j) => j.added_tokens.push({ ...j.added_tokens[0], content: '<extra>' })), /added token "<extra>" has id 0, which already belongs to "<pad>"/);
  expectFileError('added token id fractional', json((j) => (j.added_tokens[0].id = 0.5)), /key 'added_tokens\[0\]'.*non-negative integer/);
  expectFileError('template special token with a negative id', json((j) => (j.post_processor.special_tokens['<s>'].ids = [-1])), /key 'post_processor.special_tokens.<s>.ids'.*non-negative integers/);
  expectFileError('template special token with a string id', json((j) => (j.post_processor.special_tokens['<s>'].ids = ['1'])), /special token "<s>" has ids \["1"\]/);
  expectFileError('BertProcessing sep id negative', json((j) => (j.post_processor = { type: 'BertProcessing', cls: ['[CLS]', 1], sep: ['[SEP]', -2] })), /key 'post_processor.sep'.*non-negative integer id/);
  expectFileError('vocab id unsafe (2^53 + 1)', json((j) => (j.model.vocab.a = 2 ** 53 + 1)), /key 'model.vocab.a'/);
  expectFileError('vocab.txt empty', '', /empty/);
  expectFileError('vocab.txt duplicate token', '[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nhello\n', /"hello" on line 6 repeats line 5/);
  expectFileError('vocab.txt blank line', '[PAD]\n[UNK]\n\n[CLS]\n[SEP]\n', /line 3 is empty/);
  expectFileError('vocab.txt without [UNK]', '[PAD]\n[CLS]\n[SEP]\nhello\n', /unknown token "\[UNK\]"/);
  expectFileError('vocab.txt binary', Buffer.from([0, 1, 2, 3, 0, 255]), /NUL bytes/);

  it('missing file and folder without tokenizer files', () => {
    expect(() => loadTokenizer(join(dir, 'nope.json'))).toThrow(/nope.json: no such file/);
    expect(() => loadTokenizer(dir)).toThrow(/neither tokenizer.json nor vocab.txt/);
  });

  it('impossible truncation settings name the option', () => {
    const tok = Tokenizer.fromFile(bpeTitanicPath);
    expect(() => tok.enableTruncation({ maxLength: 1 }).encode('hello world')).toThrow(/shorter than the 2 special tokens/);
    expect(() => tok.enableTruncation({ maxLength: 4, strategy: 'only_second' }).encode('hello world')).toThrow(/only_second needs a pair/);
    expect(() => tok.enableTruncation({ maxLength: 6, strategy: 'only_first' }).encode(['a', 'a long second text here'])).toThrow(/first text has only/);
    expect(() => tok.enableTruncation({ maxLength: 1.5 })).toThrow(/truncation.maxLength/);
    expect(() => tok.encode(null as unknown as string)).toThrow(/expected a string/);
  });
});

describe('token ids against the model vocabulary', () => {
  // The embedding table has one row per id: an id at or past its size would be read out of bounds
  // inside the compiled training step, so a tokenizer must fit the model it feeds.
  const sparse = (maxId: number) => json((j) => (j.model.vocab['##b'] = maxId), wordpiece);

  it('largestId is the largest id over vocab, added tokens and post-processor specials', () => {
    expect(Tokenizer.fromFile(bpeTitanicPath).largestId).toEqual({ id: 899, token: expect.any(String) });
    const file = join(dir, 'sparse.json');
    writeFileSync(file, sparse(70000));
    expect(Tokenizer.fromFile(file).largestId).toEqual({ id: 70000, token: '##b' });
    const withSpecial = json((j) => {
      j.post_processor = { type: 'BertProcessing', cls: ['[CLS]', 1], sep: ['[SEP]', 90000] };
    }, wordpiece);
    writeFileSync(file, withSpecial);
    expect(Tokenizer.fromFile(file).largestId).toEqual({ id: 90000, token: '[SEP]' });
  });

  it('an id past the vocabulary is a TokenizerError naming the file, the token, the id and the size', () => {
    const file = join(dir, 'too-big.json');
    writeFileSync(file, sparse(30522));
    const tok = Tokenizer.fromFile(file);
    expect(() => tok.checkFitsVocabulary(30522, 'the model in /models/bert')).toThrow(TokenizerError);
    expect(() => tok.checkFitsVocabulary(30522, 'the model in /models/bert')).toThrow(
      `${file}: token "##b" has id 30522 but the model in /models/bert's vocabulary has 30522 entries (ids 0 to 30521)`,
    );
    expect(() => tok.checkFitsVocabulary(30523)).not.toThrow();
  });
});

