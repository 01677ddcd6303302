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

export function asyncEval(...values: unknown[]): Promise<void> {
  return native.asyncEval(handles(values));
}
