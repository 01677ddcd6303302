/** The error raised for unusable data: the message names the file, line, column and option at fault. */
import { MlxTrainError } from '../errors.js';

export interface DataErrorLocation {
  file?: string;
  line?: number;
  column?: number | string;
  key?: string;
}

export class DataError extends MlxTrainError {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number | string;
  readonly key?: string;
  /** `code`: a more specific code than DATA_ERROR (e.g. TEMPLATE_ERROR, a config mistake: exit 2). */
  constructor(message: string, where: DataErrorLocation = {}, options?: ErrorOptions & { code?: string }) {
    const place = [
      where.file,
      where.line !== undefined ? `line ${where.line}` : undefined,
      where.column !== undefined ? (typeof where.column === 'number' ? `column ${where.column}` : `column '${where.column}'`) : undefined,
      where.key !== undefined ? `option '${where.key}'` : undefined,
    ].filter(Boolean);
    super(place.length ? `${place.join(', ')}: ${message}` : message, options?.code ?? 'DATA_ERROR', options);
    Object.assign(this, where);
  }
}
