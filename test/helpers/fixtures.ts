/** Reads fixtures written by scripts/fixtures/*.py (Python MLX references) and compares arrays to them. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { mx } from '../../src/index.js';

export interface EncodedArray {
  dtype: string;
  shape: number[];
  data: (number | boolean | string | [number | string, number | string])[];
}

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export function loadFixture<T = Record<string, unknown>>(name: string): { mlx: string; cases: T[] } {
  return JSON.parse(readFileSync(join(fixturesDir, `${name}.json`), 'utf8'));
}

function decodeNumber(v: number | boolean | string): number | boolean {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number | boolean;
}

/** An mx.array holding a fixture's values with the fixture's dtype. */
export function fromFixture(e: EncodedArray): mx.Array {
  if (e.dtype === 'complex64') {
    const pairs = (e.data as [number, number][]).flatMap(([re, im]) => [Number(decodeNumber(re)), Number(decodeNumber(im))]);
    return mx.array(Float32Array.from(pairs), { dtype: 'complex64', shape: e.shape });
  }
  const flat = e.data.map((v) => decodeNumber(v as number | string));
  const dtype = e.dtype as mx.Dtype;
  if (dtype === 'bool') return mx.array(Uint8Array.from(flat, (v) => (v ? 1 : 0)), { dtype: 'bool', shape: e.shape });
  const f64 = Float64Array.from(flat, Number);
  const base = mx.array(f64, { shape: e.shape });
  try {
    return mx.astype(base, dtype);
  } finally {
    base.dispose();
  }
}

/** Default tolerances per dtype (absolute and relative). */
export function tolerance(dtype: string): { atol: number; rtol: number } {
  if (dtype === 'float16' || dtype === 'bfloat16') return { atol: 1e-2, rtol: 1e-2 };
  if (dtype === 'float64') return { atol: 1e-10, rtol: 1e-10 };
  return { atol: 1e-5, rtol: 1e-5 };
}

/**
 * Asserts `actual` matches the fixture: same dtype and shape, values within tolerance (NaN equals NaN),
 * and reports the max abs diff on failure.
 */
export function expectMatches(actual: mx.Array, expected: EncodedArray, opts: { atol?: number; rtol?: number; label?: string; checkDtype?: boolean } = {}): void {
  const label = opts.label ?? 'array';
  if (opts.checkDtype !== false) expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect(actual.shape, `${label} shape`).toEqual(expected.shape);
  const tol = { ...tolerance(expected.dtype), ...(opts.atol !== undefined ? { atol: opts.atol } : {}), ...(opts.rtol !== undefined ? { rtol: opts.rtol } : {}) };
  let got: number[];
  let want: number[];
  if (expected.dtype === 'complex64') {
    got = Array.from(actual.toTypedArray() as Float32Array);
    want = (expected.data as [number, number][]).flatMap(([re, im]) => [Number(decodeNumber(re)), Number(decodeNumber(im))]);
  } else {
    const list = actual.size === 0 ? [] : (([actual.toList()] as unknown[]).flat(Number.POSITIVE_INFINITY as 1) as (number | boolean)[]);
    got = list.map(Number);
    want = expected.data.map((v) => Number(decodeNumber(v as number | string)));
  }
  expect(got.length, `${label} size`).toBe(want.length);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (Number.isNaN(b) && Number.isNaN(a)) continue;
    if (a === b) continue;
    const diff = Math.abs(a - b);
    const excess = diff - (tol.atol + tol.rtol * Math.abs(b));
    if (!(excess <= 0) && (worstAt < 0 || diff > worst || Number.isNaN(diff))) {
      worst = diff;
      worstAt = i;
    }
  }
  if (worstAt >= 0) {
    throw new Error(`${label}: max abs diff ${worst} at flat index ${worstAt} (got ${got[worstAt]}, want ${want[worstAt]}; atol ${tol.atol}, rtol ${tol.rtol})`);
  }
}
