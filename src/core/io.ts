/**
 * safetensors files through MLX's own reader and writer. `load`/`save` (and their async twins) are the
 * safetensors functions under short names; loads are lazy, as in MLX: the header is parsed at once and
 * tensor bytes are read on first evaluation (the async load has read them when it resolves).
 * Writes are not atomic here; the checkpoint layer writes to a temp file and renames.
 */
import { native, type Handle, type StreamArg } from './binding.js';
import { MxArray } from './array.js';
import { wrap } from './handle.js';
import { type CodeOf, MlxError, invalidArg } from '../errors.js';
import type { SafetensorsRaw } from '../native/bindings/io.js';
import { safetensorsHeaderProblem } from './safetensors-check.js';

export interface SafetensorsFile {
  arrays: Record<string, MxArray>;
  metadata: Record<string, string>;
}

export type ArrayRecord = Record<string, MxArray> | Map<string, MxArray>;

function pathOf(op: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidArg('a non-empty file path string', `${op} path`, path);
  return path;
}

/** Rewraps a native error so it names the file, keeps MLX's code, and points the stack at the caller. */
function fileError(op: string, path: string, cause: unknown, err: Error): Error {
  const native = cause as { message?: string; code?: string };
  const detail = String(native?.message ?? cause).replace(/^\w+: /, '');
  const out = new MlxError(`${op}: cannot ${op.startsWith('load') ? 'read' : 'write'} '${path}': ${detail}`, (native?.code as CodeOf<'mlx'> | undefined) ?? 'MLX_ERROR');
  out.stack = `${out.name}: ${out.message}\n${(err.stack ?? '').split('\n').slice(1).join('\n')}`;
  Object.assign(out, { path, cause });
  return out;
}

function fromRaw([names, handles, meta]: SafetensorsRaw): SafetensorsFile {
  const arrays: Record<string, MxArray> = {};
  names.forEach((n, i) => { arrays[n] = wrap(handles[i]); });
  const metadata: Record<string, string> = {};
  for (let i = 0; i < meta.length; i += 2) metadata[meta[i]] = meta[i + 1];
  return { arrays, metadata };
}

function toRaw(op: string, arrays: ArrayRecord, metadata: Record<string, string>): [string[], Handle[], string[]] {
  if (arrays === null || typeof arrays !== 'object') throw invalidArg('a record of name → mx.array', `${op} arrays`, arrays);
  const entries = arrays instanceof Map ? [...arrays.entries()] : Object.entries(arrays);
  const names: string[] = [];
  const handles: Handle[] = [];
  for (const [name, a] of entries) {
    if (!(a instanceof MxArray)) throw invalidArg('an mx.array', `${op} arrays['${name}']`, a);
    names.push(name);
    handles.push(a.handle);
  }
  if (metadata === null || typeof metadata !== 'object') throw invalidArg('a record of string → string', `${op} metadata`, metadata);
  const flat: string[] = [];
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw invalidArg('a string', `${op} metadata['${k}']`, v);
    flat.push(k, v);
  }
  return [names, handles, flat];
}

function checkHeader(path: string): void {
  const problem = safetensorsHeaderProblem(path);
  if (problem) throw new MlxError(problem, 'MLX_INVALID_ARGUMENT');
}

/** Reads a .safetensors file: its arrays (lazy) and its string metadata. */
export function loadSafetensors(path: string, opts: { stream?: StreamArg } = {}): SafetensorsFile {
  const p = pathOf('loadSafetensors', path);
  const err = new Error();
  let raw: SafetensorsRaw;
  try {
    checkHeader(p);
    raw = native.loadSafetensors(p, opts.stream);
  } catch (e) {
    throw fileError('loadSafetensors', p, e, err);
  }
  return fromRaw(raw);
}

/** Writes arrays (evaluating them) and string metadata to a .safetensors file. */
export function saveSafetensors(path: string, arrays: ArrayRecord, metadata: Record<string, string> = {}): void {
  const p = pathOf('saveSafetensors', path);
  const [names, handles, flat] = toRaw('saveSafetensors', arrays, metadata);
  const err = new Error();
  try {
    native.saveSafetensors(p, names, handles, flat);
  } catch (e) {
    throw fileError('saveSafetensors', p, e, err);
  }
}

/** loadSafetensors, with the tensor bytes read off the JS thread; resolves once they are in memory. */
export async function loadSafetensorsAsync(path: string, opts: { stream?: StreamArg } = {}): Promise<SafetensorsFile> {
  const p = pathOf('loadSafetensorsAsync', path);
  const err = new Error();
  try {
    checkHeader(p);
    return fromRaw(await native.loadSafetensorsAsync(p, opts.stream));
  } catch (e) {
    throw fileError('loadSafetensorsAsync', p, e, err);
  }
}

/** saveSafetensors, with evaluation and the write off the JS thread. */
export async function saveSafetensorsAsync(path: string, arrays: ArrayRecord, metadata: Record<string, string> = {}): Promise<void> {
  const p = pathOf('saveSafetensorsAsync', path);
  const [names, handles, flat] = toRaw('saveSafetensorsAsync', arrays, metadata);
  const err = new Error();
  try {
    await native.saveSafetensorsAsync(p, names, handles, flat);
  } catch (e) {
    throw fileError('saveSafetensorsAsync', p, e, err);
  }
}

export { loadSafetensors as load, saveSafetensors as save, loadSafetensorsAsync as loadAsync, saveSafetensorsAsync as saveAsync };
