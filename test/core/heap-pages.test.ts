// The addon keeps freed malloc heap pages (native/memory.cc) instead of letting glibc hand them back and
// fault them in again, zeroed, on the next step; a user's own MALLOC_* settings turn that off. Each side
// runs in a fresh process (mallopt is process-wide).
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
  it('a training-sized step faults few pages in; with glibc’s own trim threshold it faults thousands', () => {
    const kept = faultsPerStep({ MALLOC_TRIM_THRESHOLD_: undefined, MALLOC_TOP_PAD_: undefined, GLIBC_TUNABLES: undefined });
    const trimmed = faultsPerStep({ MALLOC_TRIM_THRESHOLD_: '131072' });
    expect(trimmed).toBeGreaterThan(2000);
    expect(kept).toBeLessThan(trimmed / 10);
  });
});
