/**
 * Adds special tokens and token type ids the way Hugging Face `tokenizers` post-processors do. Written
 * here (not taken from tokenizers.js) because truncation must know how many special tokens a template
 * adds before it runs, and because the template's special tokens map to id lists, not single strings.
 */

export interface Piece {
  ids: number[];
  tokens: string[];
}

export interface Processed extends Piece {
  typeIds: number[];
  specialMask: number[];
}

type Json = Record<string, unknown>;

export interface PostProcessor {
  /** How many special tokens `process` adds for a single text or a pair. */
  addedTokens(isPair: boolean): number;
  process(a: Piece, b: Piece | null, addSpecialTokens: boolean): Processed;
}

function concat(parts: { piece: Piece; typeId: number; special: boolean }[]): Processed {
  const out: Processed = { ids: [], tokens: [], typeIds: [], specialMask: [] };
  for (const { piece, typeId, special } of parts) {
    for (let i = 0; i < piece.ids.length; i++) {
      out.ids.push(piece.ids[i]);
      out.tokens.push(piece.tokens[i]);
      out.typeIds.push(typeId);
      out.specialMask.push(special ? 1 : 0);
    }
  }
  return out;
}

/** Without special tokens the second text still gets type id 1 (as `tokenizers` encodes it). */
function plain(a: Piece, b: Piece | null, bTypeId: number): Processed {
  const parts = [{ piece: a, typeId: 0, special: false }];
  if (b) parts.push({ piece: b, typeId: bTypeId, special: false });
  return concat(parts);
}

class TemplateProcessor implements PostProcessor {
  constructor(private readonly config: Json) {}
  private items(isPair: boolean): Json[] {
    return this.config[isPair ? 'pair' : 'single'] as Json[];
  }
  private special(id: string): Piece {
    const entry = (this.config.special_tokens as Record<string, { ids: number[]; tokens: string[] }>)[id];
    return { ids: entry.ids, tokens: entry.tokens };
  }
  addedTokens(isPair: boolean): number {
    return this.items(isPair).reduce((n, item) => n + ('SpecialToken' in item ? this.special((item.SpecialToken as Json).id as string).ids.length : 0), 0);
  }
  process(a: Piece, b: Piece | null, addSpecialTokens: boolean): Processed {
    if (!addSpecialTokens) return plain(a, b, 1);
    const parts = this.items(b !== null).map((item) => {
      if ('SpecialToken' in item) {
        const s = item.SpecialToken as { id: string; type_id: number };
        return { piece: this.special(s.id), typeId: s.type_id, special: true };
      }
      const s = item.Sequence as { id: 'A' | 'B'; type_id: number };
      return { piece: s.id === 'A' ? a : (b as Piece), typeId: s.type_id, special: false };
    });
    return concat(parts);
  }
}

/** BERT: [CLS] A [SEP] (B [SEP]), type id 1 for B and its [SEP]. RoBERTa: <s> A </s> (</s> B </s>), all type ids 0. */
class ClsSepProcessor implements PostProcessor {
  private readonly cls: Piece;
  private readonly sep: Piece;
  constructor(config: Json, private readonly roberta: boolean) {
    const [clsToken, clsId] = config.cls as [string, number];
    const [sepToken, sepId] = config.sep as [string, number];
    this.cls = { ids: [clsId], tokens: [clsToken] };
    this.sep = { ids: [sepId], tokens: [sepToken] };
  }
  addedTokens(isPair: boolean): number {
    return isPair ? (this.roberta ? 4 : 3) : 2;
  }
  process(a: Piece, b: Piece | null, addSpecialTokens: boolean): Processed {
    const bType = this.roberta ? 0 : 1;
    if (!addSpecialTokens) return plain(a, b, 1);
    const parts = [
      { piece: this.cls, typeId: 0, special: true },
      { piece: a, typeId: 0, special: false },
      { piece: this.sep, typeId: 0, special: true },
    ];
    if (b) {
      if (this.roberta) parts.push({ piece: this.sep, typeId: bType, special: true });
      parts.push({ piece: b, typeId: bType, special: false }, { piece: this.sep, typeId: bType, special: true });
    }
    return concat(parts);
  }
}

/** No special tokens (also ByteLevel, which only adjusts offsets, and a missing post_processor). */
class PassThrough implements PostProcessor {
  addedTokens(): number {
    return 0;
  }
  process(a: Piece, b: Piece | null): Processed {
    return plain(a, b, 1);
  }
}

export function createPostProcessor(config: unknown): PostProcessor {
  const c = config as Json | null | undefined;
  if (!c) return new PassThrough();
  switch (c.type) {
    case 'TemplateProcessing':
      return new TemplateProcessor(c);
    case 'BertProcessing':
      return new ClsSepProcessor(c, false);
    case 'RobertaProcessing':
      return new ClsSepProcessor(c, true);
    case 'Sequence': {
      // Only one processor in a sequence may add tokens; the others (ByteLevel) change offsets alone.
      const adding = (c.processors as Json[]).filter((p) => p.type !== 'ByteLevel');
      return adding.length ? createPostProcessor(adding[adding.length - 1]) : new PassThrough();
    }
    default:
      return new PassThrough();
  }
}
