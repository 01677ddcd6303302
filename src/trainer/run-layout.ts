/**
 * Where a run keeps its files under config.outputDir: checkpoints in checkpoints/, and a k-fold run's
 * folds each in fold-<i>/ as a run of its own. One home, so the trainer, k-fold ensembles and the sweep's
 * clean-up agree on it.
 */
import { join } from 'node:path';
import type { TrainingConfig } from '../config/schema.js';

export const checkpointDirOf = (config: TrainingConfig): string => join(config.outputDir, 'checkpoints');

/** Fold `fold` of a k-fold run: the same config, in outputDir/fold-<fold>. */
export const foldConfig = (c: TrainingConfig, fold: number): TrainingConfig => ({ ...c, outputDir: join(c.outputDir, `fold-${fold}`) });
