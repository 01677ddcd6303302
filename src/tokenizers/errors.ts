/** The error raised for a tokenizer file or option that cannot be used; it names the file and the JSON key. */
import { MlxTrainError } from '../errors.js';

export class TokenizerError extends MlxTrainError {
  readonly file?: string;
  readonly key?: string;
  constructor(message: string, where: { file?: string; key?: string } = {}, options?: ErrorOptions) {
    const prefix = where.file ? `${where.file}${where.key ? ` (key '${where.key}')` : ''}: ` : where.key ? `key '${where.key}': ` : '';
    super(`${prefix}${message}`, 'TOKENIZER_ERROR', options);
    this.file = where.file;
    this.key = where.key;
  }
}
