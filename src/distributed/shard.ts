/** Splitting a dataset's indices between ranks. */

/**
 * The indices of `n` examples that `rank` of `size` processes owns: a contiguous block, with the first
 * `n % size` ranks taking one extra, so the blocks cover 0..n-1 exactly once. Shuffle the order before
 * sharding (with the same seed on every rank) to mix the data.
 */
export function shardIndices(n: number, rank: number, size: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`expected an integer ≥ 0 for n but received ${String(n)}`);
  if (!Number.isInteger(size) || size < 1) throw new TypeError(`expected an integer ≥ 1 for size but received ${String(size)}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= size) throw new RangeError(`expected a rank in [0, ${size}) but received ${String(rank)}`);
  const base = Math.floor(n / size);
  const extra = n % size;
  const start = rank * base + Math.min(rank, extra);
  const count = base + (rank < extra ? 1 : 0);
  return Array.from({ length: count }, (_, i) => start + i);
}
