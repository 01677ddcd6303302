/** Tokenized examples packed in flat typed arrays (one allocation, cheap to cache and to slice into batches). */
import type { Tokenizer, TokenizerInput } from '../tokenizers/index.js';

export interface EncodedExamples {
  count: number;
  /** Example i spans ids[offsets[i] .. offsets[i + 1]). */
  offsets: Int32Array;
  ids: Int32Array;
  typeIds: Uint8Array;
}

export function exampleLength(e: EncodedExamples, i: number): number {
  return e.offsets[i + 1] - e.offsets[i];
}

/** Encodes every input once (truncated per the tokenizer's settings, never padded). */
export function encodeExamples(tokenizer: Tokenizer, inputs: readonly TokenizerInput[]): EncodedExamples {
  const padding = tokenizer.padding;
  tokenizer.noPadding();
  try {
    const encodings = inputs.map((input) => tokenizer.encode(input));
    const offsets = new Int32Array(inputs.length + 1);
    encodings.forEach((e, i) => (offsets[i + 1] = offsets[i] + e.ids.length));
    const ids = new Int32Array(offsets[inputs.length]);
    const typeIds = new Uint8Array(offsets[inputs.length]);
    encodings.forEach((e, i) => {
      ids.set(e.ids, offsets[i]);
      typeIds.set(e.typeIds, offsets[i]);
    });
    return { count: inputs.length, offsets, ids, typeIds };
  } finally {
    tokenizer.padding = padding;
  }
}
