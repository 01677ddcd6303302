/**
 * Explicit lifetimes for MLX arrays. `tidy(fn)` disposes every array created while fn runs except the
 * ones it returns (found in nested arrays, plain objects and Maps) and the ones passed to `keep`.
 * Returned arrays join the enclosing tidy, so nesting works. Only synchronous functions: an async
 * function would let other code's arrays land in this scope.
 *
 * The native side owns a scope's arrays (native/wrap.h): the innermost open scope takes each new array,
 * and closing it frees the rest in one call, so an op inside a scope costs no JS bookkeeping and no weak
 * reference. Arrays outside every scope are freed by dispose() or, as a safety net, when the GC collects
 * their wrapper (a FinalizationRegistry).
 *
 * While a scope is open, new arrays are not counted as V8 external memory: the scope frees them, so
 * counting them only made V8 run full collections for memory it cannot free (about three per training
 * step). The outermost scope reports what it hands out (returned or kept arrays) as it closes, and V8
 * hears the net change of the whole scope at once, so a step that swaps 270 MB of weights and optimizer
 * state for new ones reports about nothing.
 */
import type { MxArray } from './array.js';
import { native, type Handle } from './binding.js';

/** Depth of the open tidy scopes (the native side keeps what each owns). */
let depth = 0;

/**
 * The GC's safety net for arrays no scope owns: when such an array's wrapper is collected, its handle is
 * disposed (a no-op if it already was; handles of freed slots are stale, never another array's).
 */
const gcOwned = new FinalizationRegistry<Handle>((h) => {
  native.dispose(h);
});

/** Called by the MxArray constructor: an array made outside every scope is the GC's to free. */
export function track(a: MxArray): void {
  if (depth === 0) gcOwned.register(a, a.handle);
}

/** Exempts arrays from the enclosing tidy scopes (e.g. new model parameters made inside a step). */
export function keep<T>(value: T): T {
  if (depth > 0) {
    forEachArray(value, (a) => {
      if (native.keepOutOfScopes(a.handle)) gcOwned.register(a, a.handle);
    });
  }
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
  native.openScope();
  depth++;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    close([]);
    throw err;
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    close([]);
    throw new TypeError('mx.tidy: the function returned a Promise; tidy scopes must be synchronous (await outside, tidy inside)');
  }
  const returned: MxArray[] = [];
  forEachArray(result, (a) => returned.push(a));
  close(returned);
  return result;
}

/**
 * Closes the innermost scope: the native side frees what it owns except `escaping`, which passes to the
 * enclosing scope or, from the outermost, to the GC's safety net (registered here).
 */
function close(escaping: MxArray[]): void {
  depth--;
  const handedToGc = native.closeScope(escaping.map((a) => a.handle));
  if (depth > 0) return;
  for (let i = 0; i < escaping.length; i++) if (handedToGc[i]) gcOwned.register(escaping[i], escaping[i].handle);
}

/** Disposes every array found in `value` (nested arrays, objects, Maps). */
export function dispose(value: unknown): void {
  forEachArray(value, (a) => a.dispose());
}
