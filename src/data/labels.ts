/** Label encoding: class values ↔ ids 0..K-1, saved as JSON next to a model so predictions map back. */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DataError } from './errors.js';

export interface LabelMapJson {
  column: string;
  classes: string[];
}

export class LabelEncoder {
  readonly column: string;
  readonly classes: readonly string[];
  private readonly ids: Map<string, number>;

  /** `minClasses` 1: a regression target's one output (its name is the column). */
  constructor(column: string, classes: readonly string[], minClasses = 2) {
    if (classes.length < minClasses) throw new DataError(`label column '${column}' has ${classes.length} distinct value(s); classification needs at least 2`, { column });
    this.column = column;
    this.classes = [...classes];
    this.ids = new Map(classes.map((c, i) => [c, i]));
  }

  /** Classes sorted numerically when all are numbers (0 < 1 < 10), otherwise as strings. */
  static fit(column: string, values: Iterable<string>): LabelEncoder {
    const distinct = [...new Set(values)];
    const numeric = distinct.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
    distinct.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return new LabelEncoder(column, distinct);
  }

  get numClasses(): number {
    return this.classes.length;
  }

  encode(value: string, where: { file?: string; line?: number } = {}): number {
    const id = this.ids.get(value);
    if (id === undefined) throw new DataError(`unknown label ${JSON.stringify(value)}; known: ${this.classes.join(', ')}`, { ...where, column: this.column });
    return id;
  }

  decode(id: number): string {
    const c = this.classes[id];
    if (c === undefined) throw new DataError(`label id ${id} is outside 0..${this.classes.length - 1}`, { column: this.column });
    return c;
  }

  toJSON(): LabelMapJson {
    return { column: this.column, classes: [...this.classes] };
  }

  /** Writes the mapping atomically (temp file + rename). */
  save(path: string): void {
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify({ ...this.toJSON(), mapping: Object.fromEntries(this.ids) }, null, 2)}\n`);
    renameSync(tmp, path);
  }

  static load(path: string): LabelEncoder {
    let json: Partial<LabelMapJson>;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new DataError(`cannot read the label map: ${(err as Error).message}`, { file: path }, { cause: err });
    }
    if (typeof json.column !== 'string' || !Array.isArray(json.classes) || json.classes.some((c) => typeof c !== 'string')) {
      throw new DataError("expected {column: string, classes: string[]}", { file: path });
    }
    return new LabelEncoder(json.column, json.classes);
  }
}
