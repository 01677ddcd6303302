/** The error for a checkpoint folder or model config we cannot read; it names the file and, where known, the key. */
import { MlxTrainError } from '../errors.js';

export class CheckpointError extends MlxTrainError {
  readonly file?: string;
  readonly key?: string;

  constructor(message: string, where: { file?: string; key?: string } = {}) {
    const prefix = where.file ? `${where.file}: ` : '';
    super(`${prefix}${message}`, 'CHECKPOINT_ERROR');
    this.file = where.file;
    this.key = where.key;
  }
}
