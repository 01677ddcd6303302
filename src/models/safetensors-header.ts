/**
 * Reads and checks a .safetensors header before MLX loads the file lazily, so a truncated or corrupt
 * file fails at load time with the file and tensor named, not later inside an evaluation.
 */
import { closeSync, openSync } from 'node:fs';
import { readSafetensorsHeaderJson } from '../core/safetensors-check.js';
import { describeValue } from '../errors.js';
import { CheckpointError } from './errors.js';

const ITEM_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

export interface TensorInfo {
  dtype: string;
  shape: number[];
}

/**
 * The JSON header of a .safetensors file (tensor entries and `__metadata__`), after checking that the
 * file is long enough to hold it, and the number of data bytes that follow it.
 */
export function readSafetensorsJson(file: string): { header: Record<string, unknown>; dataBytes: number } {
  const fd = openSync(file, 'r');
  try {
    const read = readSafetensorsHeaderJson(fd);
    if ('problem' in read) throw new CheckpointError(read.problem, { file });
    return read as { header: Record<string, unknown>; dataBytes: number };
  } finally {
    closeSync(fd);
  }
}

/** The tensors listed in a .safetensors header (name → dtype and shape), after checking every offset. */
export function readSafetensorsHeader(file: string): Map<string, TensorInfo> {
  const { header, dataBytes } = readSafetensorsJson(file);
  const out = new Map<string, TensorInfo>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const bytes = ITEM_BYTES[e?.dtype as string];
    if (bytes === undefined) throw new CheckpointError(`tensor '${name}' has an unknown dtype ${describeValue(e?.dtype)}`, { file, key: name });
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 31)) {
      throw new CheckpointError(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`, { file, key: name });
    }
    const offsets = e.data_offsets as number[];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !(offsets[0] <= offsets[1])) {
      throw new CheckpointError(`tensor '${name}' has invalid data_offsets ${JSON.stringify(e.data_offsets)}`, { file, key: name });
    }
    const need = (e.shape as number[]).reduce((a, b) => a * b, 1) * bytes;
    if (offsets[1] - offsets[0] !== need) {
      throw new CheckpointError(`tensor '${name}' (${e.dtype} [${(e.shape as number[]).join(', ')}]) needs ${need} bytes but its data_offsets span ${offsets[1] - offsets[0]}`, { file, key: name });
    }
    if (offsets[1] > dataBytes) {
      throw new CheckpointError(`truncated: tensor '${name}' ends at data byte ${offsets[1]} but the file holds only ${dataBytes} data bytes`, { file, key: name });
    }
    out.set(name, { dtype: e.dtype as string, shape: e.shape as number[] });
  }
  return out;
}
