/** Tokenizers: Hugging Face WordPiece / byte-level BPE with truncation, padding and pairs; WordPiece training. */
export { Tokenizer, type Encoding, type EncodeOptions, type PaddingOptions, type TruncationOptions, type TruncationStrategy, type TokenizerInput, type Direction } from './tokenizer.js';
export { bertTokenizerFromVocab, bertTokenizerFromVocabFile, bertTokenizerJson, readVocabTxt, type BertOptions } from './bert.js';
export { trainWordPiece, trainWordPieceVocab, type WordPieceTrainOptions } from './train-wordpiece.js';
export { loadTokenizer } from './load.js';
export { TokenizerError } from './errors.js';
