/**
 * Memory profiling for the loop: an MLX + process snapshot per logging interval, and an alarm when the
 * process RSS keeps climbing over the last N samples (a leak: arrays kept alive across steps).
 */
import * as mx from '../core/index.js';
import type { MemorySnapshot } from './types.js';

export function memorySnapshot(): MemorySnapshot {
  return { activeBytes: mx.getActiveMemory(), peakBytes: mx.getPeakMemory(), cacheBytes: mx.getCacheMemory(), rssBytes: process.memoryUsage.rss() };
}

/** Memory as system metrics, in MB (MLflow's `system/` prefix). */
export function memoryMetrics(m: MemorySnapshot): Record<string, number> {
  const mb = (b: number) => Math.round((b / 2 ** 20) * 100) / 100;
  return {
    'system/mlx_active_memory_mb': mb(m.activeBytes),
    'system/mlx_peak_memory_mb': mb(m.peakBytes),
    'system/mlx_cache_memory_mb': mb(m.cacheBytes),
    'system/rss_memory_mb': mb(m.rssBytes),
  };
}

/** Least-squares slope of ys over their indices. */
function slopeOf(ys: number[]): number {
  const n = ys.length;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  ys.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

/**
 * Flags steady RSS growth: a least-squares slope over the last `window` samples above
 * `bytesPerSample`, with the window's total growth above `minGrowthBytes` (so allocator noise does not
 * trigger it), and the later half of the window still climbing at that rate: warm-up (caches and pools
 * filling in the first intervals, then flat) raises the whole window's slope but not its later half's,
 * where a leak keeps climbing throughout.
 */
export class LeakAlarm {
  private readonly samples: number[] = [];
  fired = false;

  constructor(
    readonly window = 20,
    readonly bytesPerSample = 1 << 20,
    readonly minGrowthBytes = 64 << 20,
  ) {}

  /** Adds a sample; returns a message the first time a leak is detected. */
  add(rssBytes: number): string | null {
    this.samples.push(rssBytes);
    if (this.samples.length > this.window) this.samples.shift();
    if (this.fired || this.samples.length < this.window) return null;
    const n = this.samples.length;
    const slope = slopeOf(this.samples);
    const lateSlope = slopeOf(this.samples.slice(Math.floor(n / 2)));
    const growth = this.samples[n - 1] - this.samples[0];
    if (slope > this.bytesPerSample && lateSlope > this.bytesPerSample && growth > this.minGrowthBytes) {
      this.fired = true;
      return `memory leak suspected: RSS grew ${(growth / 2 ** 20).toFixed(1)} MB over the last ${n} logging intervals (${(slope / 2 ** 20).toFixed(2)} MB per interval)`;
    }
    return null;
  }
}

/**
 * training.memoryLimitMb as MLX's memory limit and cache limit (process-wide, like mx.set_memory_limit in
 * Python): MLX frees its cache before it grows past the limit, and the cache never holds more than the
 * budget. null leaves MLX's defaults. Returns the limits that were in place.
 */
export function applyMemoryLimit(limitMb: number | null): { memoryLimitBytes: number; cacheLimitBytes: number } | null {
  if (limitMb === null) return null;
  const bytes = limitMb * 2 ** 20;
  return { memoryLimitBytes: mx.setMemoryLimit(bytes), cacheLimitBytes: mx.setCacheLimit(bytes) };
}
