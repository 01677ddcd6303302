/** Native exports of native/io.cc. Loads return [names, handles, metadata as k0, v0, k1, v1, …]. */
import type { Handle, StreamArg } from '../types.js';

export type SafetensorsRaw = [string[], Handle[], string[]];

export interface IoBinding {
  loadSafetensors(path: string, s?: StreamArg): SafetensorsRaw;
  saveSafetensors(path: string, names: string[], arrays: Handle[], metadata: string[]): void;
  loadSafetensorsAsync(path: string, s?: StreamArg): Promise<SafetensorsRaw>;
  saveSafetensorsAsync(path: string, names: string[], arrays: Handle[], metadata: string[]): Promise<void>;
}
