/**
 * The tokenizer and label map fit() writes to outputDir, so a later Trainer (evaluate, predict, a loaded
 * checkpoint) encodes text and labels exactly as training did. A tokenizer trained from the training
 * texts is rebuilt identically from the same data and config, but reading the saved one guarantees
 * predictions use the training vocabulary even if the CSV changed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TrainingConfig } from '../config/schema.js';
import type { PreparedData } from '../data/dataset.js';
import { CheckpointError } from '../errors.js';
import { loadTokenizer, type Tokenizer } from '../tokenizers/index.js';
import type { TargetScaling } from '../data/targets.js';
import { savedTaskInfo, scalingFrom } from './tasks/session.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const LABELS_FILE = 'labels.json';

/** What fit() saved in config.outputDir (a tokenizer named in the config is loaded from there instead, as in training). */
export function readSavedPipeline(config: TrainingConfig): { tokenizer?: Tokenizer; labelClasses?: string[]; scaling?: TargetScaling | null } {
  const out: { tokenizer?: Tokenizer; labelClasses?: string[]; scaling?: TargetScaling | null } = {};
  const tokenizerPath = join(config.outputDir, TOKENIZER_FILE);
  if (config.data.tokenizer === null && existsSync(tokenizerPath)) out.tokenizer = loadTokenizer(tokenizerPath);
  const labelsPath = join(config.outputDir, LABELS_FILE);
  if (existsSync(labelsPath)) {
    try {
      const saved = JSON.parse(readFileSync(labelsPath, 'utf8')) as { classes: string[]; scaling?: unknown };
      out.labelClasses = saved.classes;
      out.scaling = scalingFrom(saved.scaling);
    } catch (err) {
      throw new CheckpointError(`cannot read the saved label map ${labelsPath}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Writes the tokenizer and label classes to `dir` (the label map through a temp file and a rename). */
export function savePipeline(dir: string, data: PreparedData): void {
  mkdirSync(dir, { recursive: true });
  data.tokenizer.save(join(dir, TOKENIZER_FILE));
  const labelsPath = join(dir, LABELS_FILE);
  writeFileSync(`${labelsPath}.tmp-${process.pid}`, `${JSON.stringify({ column: data.labels.column, classes: data.labels.classes, ...savedTaskInfo(data) }, null, 2)}\n`);
  renameSync(`${labelsPath}.tmp-${process.pid}`, labelsPath);
}
