/**
 * Checks a parsed Hugging Face `tokenizer.json` before it is used, so a bad file fails with its name and
 * the JSON key at fault instead of a TypeError deep inside the tokenizer.
 */
import { TokenizerError } from './errors.js';

export const SUPPORTED_MODELS = ['WordPiece', 'BPE'] as const;
export const SUPPORTED_POST_PROCESSORS = ['TemplateProcessing', 'BertProcessing', 'RobertaProcessing', 'ByteLevel', 'Sequence'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Parses JSON text; a syntax error names the file, line and column. */
export function parseTokenizerJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    const offset = pos ? Number(pos[1]) : text.length;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const what = pos ? message.replace(/ in JSON at position \d+.*$/, '') : `${message} (the file is truncated or empty)`;
    throw new TokenizerError(`invalid JSON at line ${line}, column ${column}: ${what}`, { file }, { cause: err });
  }
}

function checkVocab(vocab: unknown, file: string, key: string): Map<string, number> {
  if (!isObject(vocab)) throw new TokenizerError(`expected an object mapping token → id but found ${typeName(vocab)}`, { file, key });
  const entries = Object.entries(vocab);
  if (entries.length === 0) throw new TokenizerError('the vocabulary is empty', { file, key });
  const seen = new Map<number, string>();
  for (const [token, id] of entries) {
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
      throw new TokenizerError(`token ${JSON.stringify(token)} has id ${JSON.stringify(id)}; ids must be non-negative integers`, { file, key: `${key}.${token}` });
    }
    const other = seen.get(id);
    if (other !== undefined) throw new TokenizerError(`tokens ${JSON.stringify(other)} and ${JSON.stringify(token)} share id ${id}`, { file, key });
    seen.set(id, token);
  }
  return new Map(entries as [string, number][]);
}

function checkModel(model: unknown, file: string): Map<string, number> {
  if (model === undefined) throw new TokenizerError("missing 'model' (a tokenizer.json needs a model section)", { file, key: 'model' });
  if (!isObject(model)) throw new TokenizerError(`expected an object but found ${typeName(model)}`, { file, key: 'model' });
  const type = model.type;
  if (!SUPPORTED_MODELS.includes(type as (typeof SUPPORTED_MODELS)[number])) {
    throw new TokenizerError(`unsupported model type ${JSON.stringify(type)}; supported: ${SUPPORTED_MODELS.join(', ')}`, { file, key: 'model.type' });
  }
  const vocab = checkVocab(model.vocab, file, 'model.vocab');
  if (type === 'WordPiece') {
    const unk = model.unk_token;
    if (typeof unk !== 'string') throw new TokenizerError(`expected a string but found ${typeName(unk)}`, { file, key: 'model.unk_token' });
    if (!vocab.has(unk)) throw new TokenizerError(`the unknown token ${JSON.stringify(unk)} is not in model.vocab`, { file, key: 'model.unk_token' });
    if (model.continuing_subword_prefix !== undefined && typeof model.continuing_subword_prefix !== 'string') {
      throw new TokenizerError(`expected a string but found ${typeName(model.continuing_subword_prefix)}`, { file, key: 'model.continuing_subword_prefix' });
    }
  } else {
    const merges = model.merges;
    if (!Array.isArray(merges)) throw new TokenizerError(`expected an array of merges but found ${typeName(merges)}`, { file, key: 'model.merges' });
    merges.forEach((merge, i) => {
      const parts = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(parts) || parts.length !== 2 || parts.some((p) => typeof p !== 'string')) {
        throw new TokenizerError(`merge ${JSON.stringify(merge)} is not two tokens ("a b" or ["a", "b"])`, { file, key: `model.merges[${i}]` });
      }
      for (const part of [...parts, parts.join('')] as string[]) {
        if (!vocab.has(part)) throw new TokenizerError(`merge ${JSON.stringify(merge)} uses ${JSON.stringify(part)}, which is not in model.vocab`, { file, key: `model.merges[${i}]` });
      }
    });
  }
  return vocab;
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function checkAddedTokens(added: unknown, file: string, vocab: Map<string, number>): void {
  if (added === undefined) return;
  if (!Array.isArray(added)) throw new TokenizerError(`expected an array but found ${typeName(added)}`, { file, key: 'added_tokens' });
  const byId = new Map<number, string>();
  for (const [token, id] of vocab) byId.set(id, token);
  const added_ = new Map<number, string>();
  added.forEach((t, i) => {
    if (!isObject(t) || typeof t.content !== 'string' || !isId(t.id)) {
      throw new TokenizerError('expected {id: non-negative integer, content: string, …}', { file, key: `added_tokens[${i}]` });
    }
    // An added token may repeat a vocabulary entry ([PAD] is often in both) but never give its id to another token.
    const other = added_.get(t.id) ?? byId.get(t.id);
    if (other !== undefined && other !== t.content) {
      throw new TokenizerError(`added token ${JSON.stringify(t.content)} has id ${t.id}, which already belongs to ${JSON.stringify(other)}`, { file, key: `added_tokens[${i}]` });
    }
    const own = vocab.get(t.content);
    if (own !== undefined && own !== t.id) {
      throw new TokenizerError(`added token ${JSON.stringify(t.content)} has id ${t.id} but model.vocab gives it id ${own}`, { file, key: `added_tokens[${i}]` });
    }
    added_.set(t.id, t.content);
  });
}

function checkComponent(value: unknown, file: string, key: string): void {
  if (value === null || value === undefined) return;
  if (!isObject(value) || typeof value.type !== 'string') throw new TokenizerError(`expected null or an object with a string 'type' but found ${typeName(value)}`, { file, key });
}

function checkPostProcessor(pp: unknown, file: string, key = 'post_processor'): void {
  checkComponent(pp, file, key);
  if (!isObject(pp)) return;
  if (!SUPPORTED_POST_PROCESSORS.includes(pp.type as (typeof SUPPORTED_POST_PROCESSORS)[number])) {
    throw new TokenizerError(`unsupported post-processor type ${JSON.stringify(pp.type)}; supported: ${SUPPORTED_POST_PROCESSORS.join(', ')}`, { file, key: `${key}.type` });
  }
  if (pp.type === 'TemplateProcessing') {
    const specials = pp.special_tokens;
    if (!isObject(specials)) throw new TokenizerError(`expected an object but found ${typeName(specials)}`, { file, key: `${key}.special_tokens` });
    for (const part of ['single', 'pair'] as const) {
      const items = pp[part];
      if (!Array.isArray(items)) throw new TokenizerError(`expected an array but found ${typeName(items)}`, { file, key: `${key}.${part}` });
      items.forEach((item, i) => {
        const special = isObject(item) && isObject(item.SpecialToken) ? item.SpecialToken : null;
        const sequence = isObject(item) && isObject(item.Sequence) ? item.Sequence : null;
        if (special) {
          const entry = specials[special.id as string];
          if (!isObject(entry) || !Array.isArray(entry.ids)) throw new TokenizerError(`special token ${JSON.stringify(special.id)} is not defined in special_tokens`, { file, key: `${key}.${part}[${i}]` });
          if (!(entry.ids as unknown[]).every(isId)) throw new TokenizerError(`special token ${JSON.stringify(special.id)} has ids ${JSON.stringify(entry.ids)}; ids must be non-negative integers`, { file, key: `${key}.special_tokens.${String(special.id)}.ids` });
        } else if (!sequence || (sequence.id !== 'A' && sequence.id !== 'B')) {
          throw new TokenizerError('expected {SpecialToken: {id, type_id}} or {Sequence: {id: "A" | "B", type_id}}', { file, key: `${key}.${part}[${i}]` });
        }
      });
    }
  } else if (pp.type === 'BertProcessing' || pp.type === 'RobertaProcessing') {
    for (const name of ['cls', 'sep'] as const) {
      const v = pp[name];
      if (!Array.isArray(v) || typeof v[0] !== 'string' || !isId(v[1])) throw new TokenizerError('expected [token, id] with a non-negative integer id', { file, key: `${key}.${name}` });
    }
  } else if (pp.type === 'Sequence') {
    if (!Array.isArray(pp.processors)) throw new TokenizerError(`expected an array but found ${typeName(pp.processors)}`, { file, key: `${key}.processors` });
    pp.processors.forEach((p, i) => checkPostProcessor(p, file, `${key}.processors[${i}]`));
  }
}

/** Throws a TokenizerError naming the file and key for anything this package cannot load. */
export function validateTokenizerJson(json: unknown, file: string): asserts json is Json {
  if (!isObject(json)) throw new TokenizerError(`expected a JSON object at the top level but found ${typeName(json)}`, { file });
  const vocab = checkModel(json.model, file);
  checkAddedTokens(json.added_tokens, file, vocab);
  for (const key of ['normalizer', 'pre_tokenizer', 'decoder'] as const) checkComponent(json[key], file, key);
  checkPostProcessor(json.post_processor, file);
  for (const key of ['truncation', 'padding'] as const) {
    const v = json[key];
    if (v !== null && v !== undefined && !isObject(v)) throw new TokenizerError(`expected null or an object but found ${typeName(v)}`, { file, key });
  }
  const trunc = json.truncation;
  if (isObject(trunc) && (typeof trunc.max_length !== 'number' || trunc.max_length < 0)) {
    throw new TokenizerError(`expected a non-negative integer but found ${JSON.stringify(trunc.max_length)}`, { file, key: 'truncation.max_length' });
  }
}

/** The token with the largest id a validated tokenizer.json can emit (vocabulary, added tokens, post-processor). */
export function largestTokenId(json: Json): { id: number; token: string } {
  let best = { id: -1, token: '' };
  const see = (id: unknown, token: string) => {
    if (typeof id === 'number' && id > best.id) best = { id, token };
  };
  for (const [token, id] of Object.entries((json.model as Json).vocab as Json)) see(id, token);
  for (const t of (json.added_tokens as Json[] | undefined) ?? []) see(t.id, t.content as string);
  const walk = (pp: unknown) => {
    if (!isObject(pp)) return;
    if (isObject(pp.special_tokens)) for (const [name, e] of Object.entries(pp.special_tokens)) for (const id of ((e as Json).ids as unknown[]) ?? []) see(id, name);
    for (const name of ['cls', 'sep']) if (Array.isArray(pp[name])) see((pp[name] as unknown[])[1], String((pp[name] as unknown[])[0]));
    if (Array.isArray(pp.processors)) pp.processors.forEach(walk);
  };
  walk(json.post_processor);
  return best;
}

/**
 * A model whose embedding table has `vocabSize` rows can only take ids below it: a larger one would read
 * past the table (MLX does not bounds-check inside compiled steps). Throws naming the file, the token and the size.
 */
export function checkTokenizerFits(largest: { id: number; token: string }, vocabSize: number, file: string, model = 'the model'): void {
  if (largest.id < vocabSize) return;
  throw new TokenizerError(`token ${JSON.stringify(largest.token)} has id ${largest.id} but ${model}'s vocabulary has ${vocabSize} entries (ids 0 to ${vocabSize - 1})`, { file });
}
