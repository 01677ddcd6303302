/** Loads a tokenizer from a path: a `tokenizer.json`, a BERT `vocab.txt`, or a folder holding either. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type BertOptions, bertTokenizerFromVocabFile } from './bert.js';
import { TokenizerError } from './errors.js';
import { Tokenizer } from './tokenizer.js';

export function loadTokenizer(path: string, bertOptions: BertOptions = {}): Tokenizer {
  if (!existsSync(path)) throw new TokenizerError('no such file or folder', { file: path });
  if (statSync(path).isDirectory()) {
    for (const name of ['tokenizer.json', 'vocab.txt']) {
      const candidate = join(path, name);
      if (existsSync(candidate)) return loadTokenizer(candidate, bertOptions);
    }
    throw new TokenizerError('the folder holds neither tokenizer.json nor vocab.txt', { file: path });
  }
  return path.endsWith('.txt') ? bertTokenizerFromVocabFile(path, bertOptions) : Tokenizer.fromFile(path);
}
