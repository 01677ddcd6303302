/** Conversions shared by both backends so a value logged through either is stored as the same text. */
import { invalidParameter } from './errors.js';
import type { ParamValue } from './types.js';

/** Formats a number like Python's `repr(float)`/`str(int)`: `1e-05`, `0.001`, `3.0` stays `3`, `inf`, `nan`. */
export function pythonNumberString(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Number.POSITIVE_INFINITY) return 'inf';
  if (value === Number.NEGATIVE_INFINITY) return '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  // JS and Python both print the shortest round-tripping digits; they differ only in exponent form.
  const abs = Math.abs(value);
  if (abs >= 1e-4 && abs < 1e16) return String(value);
  const [mantissa, exponent] = value.toExponential().split('e');
  const expNumber = Number(exponent);
  const sign = expNumber < 0 ? '-' : '+';
  return `${mantissa}e${sign}${String(Math.abs(expNumber)).padStart(2, '0')}`;
}

/** A param value as MLflow stores it (the Python client calls `str()` on it). */
export function paramValueToString(value: ParamValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return pythonNumberString(value);
  throw invalidParameter(`expected a string, number or boolean param value but received ${value === null ? 'null' : typeof value}`);
}
