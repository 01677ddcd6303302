// Encodings must equal Hugging Face `tokenizers` (Python) on the committed fixture (scripts/fixtures/tokenizers_hf.py).
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bertTokenizerFromVocabFile, Tokenizer, loadTokenizer, type TokenizerInput } from '../../src/tokenizers/index.js';
import { type BatchCase, bpeTitanicPath, minilmDir, type TokenizerReference, tokenizersFixture } from './reference.js';

const fx = tokenizersFixture();

function applyCase(tok: Tokenizer, c: BatchCase): void {
  tok.noTruncation().noPadding();
  if (c.truncation) {
    tok.enableTruncation({
      maxLength: c.truncation.max_length,
      strategy: (c.truncation.strategy ?? 'longest_first') as 'longest_first',
      direction: (c.truncation.direction ?? 'right') as 'right',
    });
  }
  if (c.padding) {
    tok.enablePadding({ padId: c.padding.pad_id, padToken: c.padding.pad_token, length: c.padding.length, padToMultipleOf: c.padding.pad_to_multiple_of, direction: (c.padding.direction ?? 'right') as 'right' });
  }
}

function parity(name: string, load: () => Tokenizer, ref: () => TokenizerReference): void {
  describe(name, () => {
    let tok: Tokenizer;
    beforeAll(() => {
      tok = load().noTruncation().noPadding();
    });

    it(`encodes all ${fx.texts.length} fixture texts (unicode, accents, CJK, emoji, long, empty) like tokenizers ${fx.tokenizers}`, () => {
      const mismatches = fx.texts.map((t, i) => ({ t, i, ids: tok.encode(t).ids })).filter(({ i, ids }) => JSON.stringify(ids) !== JSON.stringify(ref().singles[i]));
      expect(mismatches.map(({ t }) => t)).toEqual([]);
      expect(fx.texts.some((t) => t === '')).toBe(true);
      expect(Math.max(...ref().singles.map((s) => s.length))).toBeGreaterThan(512);
    });

    it('encodes pairs with token type ids', () => {
      fx.pairIndex.forEach(([a, b], i) => {
        const e = tok.encode([fx.texts[a], fx.texts[b]]);
        expect(e.ids, `pair ${i}`).toEqual(ref().pairs[i].ids);
        expect(e.typeIds, `pair ${i}`).toEqual(ref().pairs[i].typeIds);
        expect(e.attentionMask.every((m) => m === 1)).toBe(true);
      });
    });

    it('truncates and pads batches (longest_first / only_first / only_second, left / right, fixed / longest / multiple)', () => {
      for (const [i, c] of ref().batches.entries()) {
        applyCase(tok, c);
        const inputs: TokenizerInput[] = c.pairs ? c.pairs.map((p) => [p[0], p[1]] as const) : (c.texts as string[]);
        const out = tok.encodeBatch(inputs);
        const label = `batch case ${i} ${JSON.stringify({ t: c.truncation, p: c.padding })}`;
        expect(out.map((e) => e.ids), label).toEqual(c.ids);
        expect(out.map((e) => e.typeIds), label).toEqual(c.typeIds);
        expect(out.map((e) => e.attentionMask), label).toEqual(c.attentionMask);
      }
      tok.noTruncation().noPadding();
    });

    it('decodes like tokenizers (skipping special tokens)', () => {
      ref().decoded.forEach((expected, i) => {
        expect(tok.decode(ref().singles[i]), JSON.stringify(fx.texts[i])).toBe(expected);
      });
    });
  });
}

parity('all-MiniLM-L6-v2 WordPiece (tokenizer.json)', () => Tokenizer.fromFile(join(minilmDir(), 'tokenizer.json')), () => fx.minilm);
parity('all-MiniLM-L6-v2 WordPiece (vocab.txt)', () => bertTokenizerFromVocabFile(join(minilmDir(), 'vocab.txt')), () => fx.minilm);
parity('byte-level BPE trained on Titanic', () => Tokenizer.fromFile(bpeTitanicPath), () => fx.bpe);

describe('tokenizer.json settings', () => {
  it("applies the file's own truncation (128) and fixed padding (128) like Tokenizer.from_file", () => {
    const tok = loadTokenizer(minilmDir());
    const texts = [...fx.texts.slice(0, 3), ...fx.texts.slice(-3)];
    expect(tok.encodeBatch(texts).map((e) => e.ids)).toEqual(fx.minilm.defaultLoad.ids);
    expect(tok.encode(texts[0]).ids).toEqual(fx.minilm.defaultLoad.ids[0]);
  });

  it('round-trips through toJSON', () => {
    const tok = Tokenizer.fromFile(bpeTitanicPath).enableTruncation({ maxLength: 20 });
    const copy = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(copy.truncation).toEqual(tok.truncation);
    for (const t of fx.texts.slice(0, 50)) expect(copy.encode(t)).toEqual(tok.encode(t));
  });

  it('RobertaProcessing pairs: </s></s> between texts and type ids 0 throughout', () => {
    const json = Tokenizer.fromFile(bpeTitanicPath).toJSON();
    const s = json.model as { vocab: Record<string, number> };
    json.post_processor = { type: 'RobertaProcessing', sep: ['</s>', s.vocab['</s>']], cls: ['<s>', s.vocab['<s>']], trim_offsets: true, add_prefix_space: false };
    const tok = Tokenizer.fromJSON(json).noTruncation().noPadding();
    (fx.bpe.robertaPairs ?? []).forEach((expected, i) => {
      const [a, b] = fx.pairIndex[i];
      const e = tok.encode([fx.texts[a], fx.texts[b]]);
      expect(e.ids).toEqual(expected.ids);
      expect(e.typeIds).toEqual(expected.typeIds);
    });
  });

  it('marks special tokens and pads with attention mask 0', () => {
    const tok = Tokenizer.fromFile(bpeTitanicPath).noTruncation().enablePadding({ padToken: '<pad>', padId: tok0('<pad>') });
    const [short, long] = tok.encodeBatch(['a', 'a longer text here']);
    expect(short.ids.length).toBe(long.ids.length);
    expect(short.attentionMask.filter((m) => m === 1).length).toBe(3);
    expect(short.specialTokensMask.slice(0, 3)).toEqual([1, 0, 1]);
  });
});

function tok0(token: string): number {
  return Tokenizer.fromFile(bpeTitanicPath).tokenToId(token) as number;
}
