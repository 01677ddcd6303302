/**
 * Tokenize once: encoded examples are stored on disk under a key made from everything that decides them
 * (the data file's bytes, the tokenizer, the template, the truncation length), so a second run with the same
 * inputs skips tokenization and any change re-tokenizes. A damaged cache file is ignored and rewritten.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncodedExamples } from './encoded.js';

const MAGIC = 'MLXTTOK1';
const HEADER_BYTES = 16;

export function cacheKey(parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    // Length-prefix each part so ("ab","c") and ("a","bc") differ.
    h.update(`${typeof p === 'string' ? Buffer.byteLength(p) : p.byteLength}:`);
    h.update(p);
  }
  return h.digest('hex').slice(0, 32);
}

function cachePath(dir: string, key: string): string {
  return join(dir, `tokens-${key}.bin`);
}

export function readTokenCache(dir: string, key: string): EncodedExamples | null {
  const path = cachePath(dir, key);
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  if (buf.byteLength < HEADER_BYTES || buf.toString('latin1', 0, 8) !== MAGIC) return null;
  const count = buf.readUInt32LE(8);
  const total = buf.readUInt32LE(12);
  const expected = HEADER_BYTES + 4 * (count + 1) + 4 * total + total;
  if (buf.byteLength !== expected) return null;
  // Copy into fresh, aligned typed arrays (the Buffer may be a slice of a shared pool).
  const offsets = new Int32Array(count + 1);
  const ids = new Int32Array(total);
  const typeIds = new Uint8Array(total);
  let at = HEADER_BYTES;
  new Uint8Array(offsets.buffer).set(buf.subarray(at, (at += 4 * (count + 1))));
  new Uint8Array(ids.buffer).set(buf.subarray(at, (at += 4 * total)));
  typeIds.set(buf.subarray(at, at + total));
  if (offsets[0] !== 0 || offsets[count] !== total) return null;
  return { count, offsets, ids, typeIds };
}

/** Writes atomically (temp file + rename) so a crash never leaves a half-written cache entry. */
export function writeTokenCache(dir: string, key: string, e: EncodedExamples): string {
  mkdirSync(dir, { recursive: true });
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(e.count, 8);
  header.writeUInt32LE(e.ids.length, 12);
  const path = cachePath(dir, key);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, Buffer.concat([header, Buffer.from(e.offsets.buffer, e.offsets.byteOffset, e.offsets.byteLength), Buffer.from(e.ids.buffer, e.ids.byteOffset, e.ids.byteLength), Buffer.from(e.typeIds.buffer, e.typeIds.byteOffset, e.typeIds.byteLength)]));
  renameSync(tmp, path);
  return path;
}
