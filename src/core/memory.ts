/**
 * MLX allocator statistics and limits, in bytes. On the CPU backend the memory limit is a guideline for
 * scheduling, not a hard cap: allocations past it still succeed while the system has memory. Beware:
 * MLX 0.32.4's CPU allocator does not check for a failed system allocation, so a single buffer larger than
 * free RAM + swap crashes the process (SIGSEGV in the kernel that fills it) instead of throwing; Python MLX
 * does the same. Size work from getActiveMemory()/getPeakMemory() rather than relying on an error.
 */
import { native } from './binding.js';
import type { MxArray } from './array.js';
import { invalidArg } from '../errors.js';

function bytesOf(op: string, n: unknown): number {
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
  throw invalidArg('a non-negative integer number of bytes', `${op} limit`, n);
}

/** Bytes held by live arrays (not counting the cache). */
export const getActiveMemory = (): number => native.getActiveMemory();
/** Highest active memory since start or the last resetPeakMemory(). */
export const getPeakMemory = (): number => native.getPeakMemory();
export const resetPeakMemory = (): void => native.resetPeakMemory();
/** Freed buffers kept for reuse. */
export const getCacheMemory = (): number => native.getCacheMemory();
export const getMemoryLimit = (): number => native.getMemoryLimit();
/** Sets the memory limit; returns the previous one. */
export const setMemoryLimit = (limit: number): number => native.setMemoryLimit(bytesOf('setMemoryLimit', limit));
/** Sets the cache limit (0 disables the cache); returns the previous one. */
export const setCacheLimit = (limit: number): number => native.setCacheLimit(bytesOf('setCacheLimit', limit));
/** Metal-only wired limit; a no-op returning 0 on the CPU backend. */
export const setWiredLimit = (limit: number): number => native.setWiredLimit(bytesOf('setWiredLimit', limit));
export const clearCache = (): void => native.clearCache();

/** Bytes of the distinct buffers behind evaluated arrays (each shared buffer counted once). */
export function getArrayBufferSize(arrays: MxArray[]): number {
  if (!Array.isArray(arrays)) throw invalidArg('a list of mx.arrays', 'getArrayBufferSize arrays', arrays);
  return native.getArrayBufferSize(arrays.map((a) => a.handle));
}
