/**
 * Value checks that mx.compile replays on every call.
 *
 * MLX does not bounds-check gathers on the CPU: an out-of-range index reads (or writes) past the array,
 * which crashes the process or trains on garbage. Eager ops check index values before the native call
 * (indexing.ts), but while a function is being compiled its arrays are placeholders without values, so
 * that check cannot run. When the index array is itself an input of the function being traced (token
 * ids, labels: the values that come from user data), the check is recorded here against the input's
 * position, and the compiled function runs it on the real input of every call before the graph is used.
 * Indices computed inside the compiled function are not covered (their values exist only in the graph).
 */
import type { MxArray } from './array.js';

export interface InputCheck {
  /** Position of the checked array among the traced function's flat inputs. */
  position: number;
  run(input: MxArray): void;
}

interface Recording {
  inputs: MxArray[];
  checks: Map<string, InputCheck>;
}

const recordings: Recording[] = [];

/** Runs `body` (the trace of a compiled function over `inputs`), collecting into `checks` the checks it defers. */
export function recordInputChecks<T>(inputs: MxArray[], checks: Map<string, InputCheck>, body: () => T): T {
  recordings.push({ inputs, checks });
  try {
    return body();
  } finally {
    recordings.pop();
  }
}

/**
 * Defers `run` to every call of the compiled function being traced when `placeholder` is one of its
 * inputs; `key` identifies the check (the same op over the same input is recorded once). Returns false
 * when nothing is being traced or the array is computed inside the function.
 */
export function deferInputCheck(placeholder: MxArray, key: string, run: (input: MxArray) => void): boolean {
  const rec = recordings[recordings.length - 1];
  if (!rec) return false;
  const position = rec.inputs.findIndex((x) => x === placeholder || x.handle === placeholder.handle);
  if (position < 0) return false;
  rec.checks.set(`${position}|${key}`, { position, run });
  return true;
}

/** Runs the recorded checks against a call's flat inputs (throws the first failure). */
export function runInputChecks(checks: Map<string, InputCheck>, inputs: MxArray[]): void {
  for (const c of checks.values()) c.run(inputs[c.position]);
}
