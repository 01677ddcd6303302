// WordPiece training from scratch, compared with the WordPiece trainer of Python `tokenizers` on the same corpus.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { bertTokenizerFromVocab, Tokenizer, trainWordPiece, trainWordPieceVocab } from '../../src/tokenizers/index.js';
import { fixtureDir, tokenizersFixture } from './reference.js';

const fx = tokenizersFixture();
const ref = fx.wordpieceTrained;

// The corpus the fixture script trained on: every Titanic row rendered as "name: value" (missing values skipped).
function titanicCorpus(): string[] {
  const rows = parse(readFileSync(join(fixtureDir, '..', '..', 'data', 'titanic', 'train.csv')), { columns: true }) as Record<string, string>[];
  return rows.map((r) => Object.entries(r).filter(([k, v]) => k !== 'PassengerId' && k !== 'Survived' && v !== '').map(([k, v]) => `${k}: ${v}`).join(', '));
}

describe('trainWordPiece', () => {
  const corpus = titanicCorpus();
  const vocab = trainWordPieceVocab(corpus, { vocabSize: ref.vocabSize, minFrequency: ref.minFrequency });

  it('learns nearly the same vocabulary as the tokenizers WordPiece trainer', () => {
    expect(corpus.length).toBe(891);
    expect(vocab.length).toBeLessThanOrEqual(ref.vocabSize);
    expect(vocab.slice(0, 5)).toEqual(ref.vocab.slice(0, 5));
    const theirs = new Set(ref.vocab);
    const shared = vocab.filter((t) => theirs.has(t)).length;
    // Ties among equally frequent pairs are broken by hash-map order in tokenizers, so its own runs on this corpus
    // share only 96–99.5% of their vocabularies with each other; ours must be as close to it as it is to itself.
    expect(shared / ref.vocab.length).toBeGreaterThan(0.95);
    expect(Math.abs(vocab.length - ref.vocab.length)).toBeLessThan(ref.vocab.length * 0.05);
  });

  it('encodes with the Python-trained vocabulary exactly like Python', () => {
    const tok = bertTokenizerFromVocab(ref.vocab);
    fx.texts.slice(0, ref.textCount).forEach((t, i) => expect(tok.encode(t).ids, JSON.stringify(t)).toEqual(ref.ids[i]));
  });

  it('tokenizes its training texts without [UNK] and the pieces rebuild every word', () => {
    const tok = trainWordPiece(corpus, { vocabSize: ref.vocabSize });
    const unk = tok.tokenToId('[UNK]');
    for (const text of corpus.slice(0, 300)) {
      const e = tok.encode(text);
      expect(e.ids).not.toContain(unk);
      const words = e.tokens.slice(1, -1).reduce<string[]>((acc, t) => (t.startsWith('##') ? [...acc.slice(0, -1), acc[acc.length - 1] + t.slice(2)] : [...acc, t]), []);
      expect(words.join('')).toBe(text.toLowerCase().replace(/\s+/g, ''));
      expect(tok.decode(e.ids).replace(/\s+/g, '')).toBe(text.toLowerCase().replace(/\s+/g, ''));
    }
  });

  it('round-trips through tokenizer.json', () => {
    const tok = trainWordPiece(corpus, { vocabSize: 300 });
    const copy = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    for (const text of fx.texts) expect(copy.encode(text)).toEqual(tok.encode(text));
  });

  it('saves a tokenizer.json that Python tokenizers loads and encodes identically', () => {
    const tok = trainWordPiece(corpus, { vocabSize: 400 });
    const dir = mkdtempSync(join(tmpdir(), 'mlxt-wp-'));
    try {
      const path = join(dir, 'tokenizer.json');
      tok.save(path);
      const texts = fx.texts.slice(0, 120);
      const code = 'import json, sys; from tokenizers import Tokenizer; t = Tokenizer.from_file(sys.argv[1]); print(json.dumps([e.ids for e in t.encode_batch(json.load(sys.stdin))]))';
      const python = process.env.MLX_TRAIN_TEST_PYTHON ?? '.venv/bin/python';
      const theirs = JSON.parse(execFileSync(python, ['-c', code, path], { input: JSON.stringify(texts), encoding: 'utf8' }));
      expect(texts.map((t) => Tokenizer.fromFile(path).encode(t).ids)).toEqual(theirs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is deterministic and honours vocabSize / minFrequency', () => {
    expect(trainWordPieceVocab(corpus.slice(0, 200), { vocabSize: 150 })).toEqual(trainWordPieceVocab(corpus.slice(0, 200), { vocabSize: 150 }));
    expect(trainWordPieceVocab(corpus, { vocabSize: 150 }).length).toBe(150);
    const rare = trainWordPieceVocab(['aa bb', 'cc'], { vocabSize: 100, minFrequency: 2 });
    expect(rare).not.toContain('aa');
    expect(trainWordPieceVocab(['aa aa', 'cc'], { vocabSize: 100, minFrequency: 2 })).toContain('aa');
  });

  it('rejects a vocabSize too small for the special tokens', () => {
    expect(() => trainWordPieceVocab(corpus, { vocabSize: 3 })).toThrow(/vocabSize/);
  });
});
