/** Forcing lazy graphs: eval blocks; asyncEval returns a Promise and leaves the event loop free. */
import { native, type Handle } from './binding.js';
import { forEachArray } from './scope.js';

function handles(values: unknown[]): Handle[] {
  const out: Handle[] = [];
  for (const v of values) forEachArray(v, (a) => out.push(a.handle));
  return out;
}

/** Evaluates every array found in the arguments (arrays, lists, objects and Maps of arrays). */
export function evaluate(...values: unknown[]): void {
  native.eval(handles(values));
}

/**
 * Starts evaluating every array found in the arguments and resolves when done. The wait happens on a
 * libuv worker, so timers and I/O keep running; argument errors reject rather than throw.
 */
export async function asyncEval(...values: unknown[]): Promise<void> {
  const hs = handles(values);
  if (hs.length === 0) return;
  await native.asyncEval(hs);
}
