/**
 * Bounded waits for blocking distributed calls. MLX's ring backend cannot cancel an init or a collective
 * whose peer has gone (see native/distributed.cc), so the call runs with a native watchdog armed: past
 * the deadline the process prints what stalled and exits with code 124 instead of hanging.
 */
import { native } from '../core/binding.js';

/** Default deadline for one blocking distributed call: MLX_TRAIN_DIST_TIMEOUT_MS, else 120 s. */
export function defaultTimeoutMs(): number {
  const raw = process.env.MLX_TRAIN_DIST_TIMEOUT_MS;
  if (raw === undefined || raw === '') return 120_000;
  const ms = Number(raw);
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`expected a number of milliseconds ≥ 0 for MLX_TRAIN_DIST_TIMEOUT_MS but received '${raw}'`);
  return ms;
}

/** Runs the synchronous `fn` with the watchdog armed for `timeoutMs` (0 disables it). */
export function withDeadline<T>(label: string, timeoutMs: number, fn: () => T): T {
  if (!(timeoutMs > 0)) return fn();
  native.distributedWatchdog(timeoutMs, label);
  try {
    return fn();
  } finally {
    native.distributedWatchdog(0);
  }
}
