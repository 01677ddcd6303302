// The addon keeps freed malloc heap pages (native/memory.cc) instead of letting glibc hand them back, or
// unmap large blocks, and fault them in again, zeroed, on the next step; a user's own MALLOC_* settings turn
// that off. Each side runs in a fresh process (mallopt is process-wide).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTsChild } from './children/run-child.js';

const child = join(import.meta.dirname, 'children', 'heap-faults.ts');

function faultsPerStep(env: Record<string, string | undefined> = {}): number {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  try {
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    const r = runTsChild(child);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return (JSON.parse(r.stdout) as { faultsPerStep: number }).faultsPerStep;
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
}

describe.runIf(process.platform === 'linux')('freed heap pages are kept between steps', () => {
  const ours = { MALLOC_TRIM_THRESHOLD_: undefined, MALLOC_TOP_PAD_: undefined, MALLOC_MMAP_THRESHOLD_: undefined, GLIBC_TUNABLES: undefined };
  let keptOnce: number | undefined;
  const keptFaults = () => (keptOnce ??= faultsPerStep(ours));
  it('a training step faults few pages in; with glibc’s own trim threshold it faults thousands', () => {
    const kept = keptFaults();
    const trimmed = faultsPerStep({ ...ours, MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(trimmed).toBeGreaterThan(2000);
    expect(kept).toBeLessThan(trimmed / 10);
  });

  it('large blocks come from the kept heap too: heap pages kept but the mmap threshold left as glibc froze it faults the 47 MB embedding gradient in every step', () => {
    const kept = keptFaults();
    // The trim threshold and top pad the addon sets, without its mmap threshold (a user's settings win).
    const mapped = faultsPerStep({ ...ours, MALLOC_TRIM_THRESHOLD_: String(2 ** 30), MALLOC_TOP_PAD_: String(256 * 2 ** 20) });
    expect(mapped).toBeGreaterThan(10000); // 47 MB / 4 KB pages = 11,446
    expect(kept).toBeLessThan(mapped / 10);
  });
});
