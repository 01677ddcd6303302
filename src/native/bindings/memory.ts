/** Native exports of native/memory.cc. Sizes are bytes. */
import type { Handle } from '../types.js';

export interface MemoryBinding {
  getActiveMemory(): number;
  getPeakMemory(): number;
  resetPeakMemory(): void;
  getCacheMemory(): number;
  getMemoryLimit(): number;
  setMemoryLimit(limit: number): number;
  setCacheLimit(limit: number): number;
  setWiredLimit(limit: number): number;
  clearCache(): void;
  getArrayBufferSize(arrays: Handle[]): number;
}
