/** Column typing for CSV tables: which columns are numbers, categories or free text, and which cells are missing. */
import type { CsvTable } from './csv.js';

export type ColumnType = 'number' | 'category' | 'text';

export interface ColumnInfo {
  name: string;
  type: ColumnType;
  missing: number;
  distinct: number;
}

export const DEFAULT_MISSING_VALUES = ['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL'];

export function isMissing(value: string, missingValues: readonly string[]): boolean {
  return missingValues.includes(value.trim());
}

function isNumber(value: string): boolean {
  const v = value.trim();
  return v !== '' && Number.isFinite(Number(v));
}

/** A column is a number if every present cell parses as one; text if its cells are long or mostly distinct. */
export function inferColumnTypes(table: CsvTable, missingValues: readonly string[] = DEFAULT_MISSING_VALUES): ColumnInfo[] {
  return table.columns.map((name, c) => {
    const present = table.rows.map((r) => r[c]).filter((v) => !isMissing(v, missingValues));
    const distinct = new Set(present).size;
    const missing = table.rows.length - present.length;
    if (present.length > 0 && present.every(isNumber)) return { name, type: 'number', missing, distinct };
    const meanLength = present.reduce((n, v) => n + v.length, 0) / Math.max(1, present.length);
    const type: ColumnType = meanLength > 40 || distinct > Math.max(50, present.length * 0.5) ? 'text' : 'category';
    return { name, type, missing, distinct };
  });
}
