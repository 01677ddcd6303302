/**
 * A guard in front of MLX's safetensors reader. MLX parses each dimension as a 32-bit int and its byte
 * count in 64 bits: a crafted header with a dimension of 2^32 loads as an empty axis, a negative
 * dimension is kept, and a shape whose size overflows passes its size check; any of them then reads
 * past the file's data. So the header (a few KB) is read here first and every tensor entry is checked
 * with exact BigInt arithmetic. Anything MLX itself reports well (unknown dtypes, bad JSON, short files)
 * is left to it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

const ITEM_BYTES: Record<string, bigint> = {
  F64: 8n, F32: 4n, F16: 2n, BF16: 2n, I64: 8n, I32: 4n, I16: 2n, I8: 1n, U64: 8n, U32: 4n, U16: 2n, U8: 1n, BOOL: 1n, C64: 8n,
  F8_E4M3: 1n, F8_E5M2: 1n,
};
const MAX_DIM = 2 ** 31 - 1;

/**
 * The JSON header of an open .safetensors file and the count of data bytes after it, or why the file
 * cannot hold one. The one reader of the header's framing: this guard and models/safetensors-header.ts
 * (which turns a problem into a CheckpointError naming the file) both use it.
 */
export function readSafetensorsHeaderJson(fd: number): { header: unknown; dataBytes: number } | { problem: string } {
  const size = fstatSync(fd).size;
  if (size < 8) return { problem: `not a safetensors file: it has ${size} bytes, fewer than the 8-byte header length` };
  const lenBuf = Buffer.alloc(8);
  readSync(fd, lenBuf, 0, 8, 0);
  const headerLen = Number(lenBuf.readBigUInt64LE(0));
  if (headerLen > size - 8 || headerLen > 100 * 1024 * 1024) {
    return { problem: `not a safetensors file or truncated: the header claims ${headerLen} bytes but the file has ${size}` };
  }
  const buf = Buffer.alloc(headerLen);
  readSync(fd, buf, 0, headerLen, 8);
  try {
    return { header: JSON.parse(buf.toString('utf8')), dataBytes: size - 8 - headerLen };
  } catch (e) {
    return { problem: `the safetensors header is not valid JSON (${(e as Error).message})` };
  }
}

function readHeader(path: string): { header: unknown; dataBytes: number } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null; // missing or unreadable: MLX's own message names it
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const read = readSafetensorsHeaderJson(fd);
    return 'problem' in read ? null : read; // framing problems are MLX's to report
  } finally {
    closeSync(fd);
  }
}

/** The first problem with the tensor entries of `path`'s header, or null (also when MLX will report the file itself). */
export function safetensorsHeaderProblem(path: string): string | null {
  const read = readHeader(path);
  if (!read || typeof read.header !== 'object' || read.header === null || Array.isArray(read.header)) return null;
  for (const [name, entry] of Object.entries(read.header as Record<string, unknown>)) {
    if (name === '__metadata__' || typeof entry !== 'object' || entry === null) continue;
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (!Array.isArray(shape)) continue;
    if (!shape.every((d) => Number.isInteger(d) && d >= 0 && d <= MAX_DIM)) {
      return `tensor '${name}' has shape ${JSON.stringify(shape)}: dimensions must be integers from 0 to ${MAX_DIM}`;
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      return `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}: expected [begin, end] with 0 <= begin <= end`;
    }
    if (offsets[1] > read.dataBytes) {
      return `tensor '${name}' ends at data byte ${offsets[1]} but the file holds only ${read.dataBytes} data bytes (truncated?)`;
    }
    const item = ITEM_BYTES[dtype as string];
    if (item === undefined) continue;
    const need = shape.reduce((n: bigint, d: number) => n * BigInt(d), item);
    if (need !== BigInt(offsets[1] - offsets[0])) {
      return `tensor '${name}' (${String(dtype)} ${JSON.stringify(shape)}) needs ${need} bytes but its data_offsets span ${offsets[1] - offsets[0]}`;
    }
  }
  return null;
}
