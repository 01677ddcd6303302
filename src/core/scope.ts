/**
 * Explicit lifetimes for MLX arrays. `tidy(fn)` disposes every array created while fn runs except the
 * ones it returns (found in nested arrays, plain objects and Maps) and the ones passed to `keep`.
 * Returned arrays join the enclosing tidy, so nesting works. Only synchronous functions: an async
 * function would let other code's arrays land in this scope.
 *
 * While a scope is open, new arrays are not counted as V8 external memory: the scope frees them, so
 * counting them only made V8 run full collections for memory it cannot free (about three per training
 * step). The outermost scope reports what it hands out (returned or kept arrays) as it closes, and V8
 * hears the net change of the whole scope at once, so a step that swaps 270 MB of weights and optimizer
 * state for new ones reports about nothing.
 */
import type { MxArray } from './array.js';
import { native } from './binding.js';

let current: MxArray[] | null = null;
const kept = new WeakSet<MxArray>();
/** Arrays kept inside the open scopes, reported to V8 when the outermost one closes. */
let keptInScope: MxArray[] = [];

/** Called by the MxArray constructor. */
export function track(a: MxArray): void {
  if (current) current.push(a);
}

/** Exempts arrays from the enclosing tidy scopes (e.g. new model parameters made inside a step). */
export function keep<T>(value: T): T {
  forEachArray(value, (a) => {
    kept.add(a);
    if (current) keptInScope.push(a);
  });
  return value;
}

export function forEachArray(value: unknown, fn: (a: MxArray) => void, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object') return;
  if (seen.has(value)) return;
  seen.add(value);
  if (isMxArray(value)) {
    fn(value);
  } else if (Array.isArray(value)) {
    for (const v of value) forEachArray(v, fn, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) forEachArray(v, fn, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    for (const v of Object.values(value)) forEachArray(v, fn, seen);
  }
}

function isMxArray(v: object): v is MxArray {
  return (v as { __mxArray?: true }).__mxArray === true;
}

export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('mx.tidy: expected a function');
  const outer = current;
  const mine: MxArray[] = [];
  current = mine;
  if (!outer) native.setScopeOpen(true);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    current = outer;
    for (const a of mine) if (!kept.has(a)) a.dispose();
    if (!outer) closeOutermost([]);
    throw err;
  }
  current = outer;
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    for (const a of mine) if (!kept.has(a)) a.dispose();
    if (!outer) closeOutermost([]);
    throw new TypeError('mx.tidy: the function returned a Promise; tidy scopes must be synchronous (await outside, tidy inside)');
  }
  const returned = new Set<MxArray>();
  forEachArray(result, (a) => returned.add(a));
  const handedOut: MxArray[] = [];
  for (const a of mine) {
    if (returned.has(a) || kept.has(a)) {
      if (outer && !kept.has(a)) outer.push(a);
      else if (!outer) handedOut.push(a);
    } else {
      a.dispose();
    }
  }
  if (!outer) closeOutermost(handedOut);
  return result;
}

/** The outermost scope closed: new arrays count for V8 again, and what left the scopes' care now does. */
function closeOutermost(handedOut: MxArray[]): void {
  const keptNow = keptInScope;
  keptInScope = [];
  for (const a of handedOut) native.reportToGc(a.handle);
  for (const a of keptNow) native.reportToGc(a.handle);
  // Last: V8 gets the scope's net change in one report.
  native.setScopeOpen(false);
}

/** Disposes every array found in `value` (nested arrays, objects, Maps). */
export function dispose(value: unknown): void {
  forEachArray(value, (a) => a.dispose());
}
