/**
 * Memory per logging interval: MLX active / peak / cache bytes and the process RSS, reported to an
 * optional sink as `system/*` metrics, a summary at the end of training, and an alarm when RSS keeps
 * climbing over the last N samples (arrays kept alive across steps: a leak). The measurement and the
 * trend test are trainer/memory.ts's; this callback decides when to sample and what to report.
 */
import { LeakAlarm, memoryMetrics, memorySnapshot } from '../memory.js';
import type { Callback, MemorySnapshot, TrainerControl, TrainerState } from '../types.js';

export interface MemoryProfilerOptions {
  /** Sample every N optimizer steps; default whenever the loop sets control.shouldLog. */
  everySteps?: number;
  /** Samples the RSS trend is fitted over (default 20). */
  leakWindow?: number;
  /** Least-squares RSS growth per sample that counts as a leak (default 1 MiB). */
  leakBytesPerSample?: number;
  /** Least total growth over the window that counts as a leak (default 64 MiB). */
  leakMinGrowthBytes?: number;
  /** Receives `system/*_mb` metrics at each sample. */
  sink?: (metrics: Record<string, number>, step: number) => void;
  /** Where the leak alarm and the end summary go (default stderr). */
  log?: (message: string) => void;
  /** The measurement (default: MLX memory counters + process RSS). */
  measure?: () => MemorySnapshot;
}

export interface MemorySummary {
  samples: number;
  peakActiveBytes: number;
  peakCacheBytes: number;
  maxRssBytes: number;
  meanRssBytes: number;
  /** RSS at the last sample minus the first. */
  rssGrowthBytes: number;
  leakSuspected: boolean;
  alarm: string | null;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;

export class MemoryProfiler implements Callback {
  readonly name = 'memory-profiler';
  readonly samples: ({ step: number } & MemorySnapshot)[] = [];
  alarm: string | null = null;
  private readonly options: MemoryProfilerOptions;
  private readonly leak: LeakAlarm;
  private readonly log: (message: string) => void;

  constructor(options: MemoryProfilerOptions = {}) {
    if (options.everySteps !== undefined && !(Number.isInteger(options.everySteps) && options.everySteps > 0)) {
      throw new RangeError(`MemoryProfiler: expected an integer everySteps ≥ 1 but received ${options.everySteps}`);
    }
    const window = options.leakWindow ?? 20;
    if (!(Number.isInteger(window) && window >= 3)) throw new RangeError(`MemoryProfiler: expected an integer leakWindow ≥ 3 but received ${window}`);
    this.options = options;
    this.leak = new LeakAlarm(window, options.leakBytesPerSample ?? 1 << 20, options.leakMinGrowthBytes ?? 64 << 20);
    this.log = options.log ?? ((m) => process.stderr.write(`${m}\n`));
  }

  /** Takes a sample now (also usable outside the loop). */
  sample(step: number): MemorySnapshot {
    const snap = (this.options.measure ?? memorySnapshot)();
    this.samples.push({ step, ...snap });
    this.options.sink?.(memoryMetrics(snap), step);
    const alarm = this.leak.add(snap.rssBytes);
    if (alarm) {
      this.alarm = `${alarm} (at step ${step})`;
      this.log(`warning: ${this.alarm}`);
    }
    return snap;
  }

  onStepEnd(state: TrainerState, control: TrainerControl): void {
    const due = this.options.everySteps ? state.globalStep % this.options.everySteps === 0 : control.shouldLog;
    if (due) this.sample(state.globalStep);
  }

  summary(): MemorySummary {
    const s = this.samples;
    const max = (f: (x: MemorySnapshot) => number) => s.reduce((m, x) => Math.max(m, f(x)), 0);
    return {
      samples: s.length,
      peakActiveBytes: max((x) => Math.max(x.peakBytes, x.activeBytes)),
      peakCacheBytes: max((x) => x.cacheBytes),
      maxRssBytes: max((x) => x.rssBytes),
      meanRssBytes: s.length ? s.reduce((a, x) => a + x.rssBytes, 0) / s.length : 0,
      rssGrowthBytes: s.length ? s[s.length - 1].rssBytes - s[0].rssBytes : 0,
      leakSuspected: this.alarm !== null,
      alarm: this.alarm,
    };
  }

  /** The summary as a short text block. */
  formatSummary(): string {
    const m = this.summary();
    if (m.samples === 0) return 'memory: no samples';
    return [
      `memory (${m.samples} samples): MLX peak ${mb(m.peakActiveBytes)}, cache up to ${mb(m.peakCacheBytes)}`,
      `  RSS max ${mb(m.maxRssBytes)}, mean ${mb(m.meanRssBytes)}, growth ${mb(m.rssGrowthBytes)}${m.leakSuspected ? ' — LEAK SUSPECTED' : ''}`,
    ].join('\n');
  }

  onTrainEnd(): void {
    this.log(this.formatSummary());
  }
}
