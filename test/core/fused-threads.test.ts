/**
 * The fused kernels' pool obeys the thread budget OpenBLAS obeys (OPENBLAS_NUM_THREADS, else
 * OMP_NUM_THREADS), which `mlx-train sweep` sets per worker process to split the cores between its
 * parallel trials. Each case runs in a fresh process, since the pool is sized once, on first use.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cores = cpus().length;

/** mx.fused.threads() in a child with `env`, and the OS threads it runs after a fused pass over 1M floats. */
function childThreads(env: Record<string, string | undefined>): { pool: number; ok: boolean } {
  const script = `import { mx } from ${JSON.stringify(join(root, 'src', 'index.ts'))};
    const x = mx.random.normal([1024, 1024], { key: mx.random.key(1) });
    const ok = mx.allclose(mx.fused.gelu(x), mx.multiply(mx.multiply(x, 0.5), mx.add(mx.erf(mx.divide(x, Math.SQRT2)), 1)), 1e-4, 1e-5).item();
    console.log(JSON.stringify({ pool: mx.fused.threads(), ok }));`;
  const base = { ...process.env };
  delete base.OPENBLAS_NUM_THREADS;
  delete base.OMP_NUM_THREADS;
  const r = spawnSync(process.execPath, ['--import', join(root, 'scripts', 'register-ts.mjs'), '--input-type=module', '-e', script],
    { encoding: 'utf8', timeout: 60_000, env: { ...base, ...env } });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('fused kernel pool thread budget', () => {
  it.runIf(cores > 1)('uses every core when no budget is set', () => {
    expect(childThreads({})).toEqual({ pool: Math.min(cores, 64), ok: true });
  });

  it.runIf(cores > 1)('OPENBLAS_NUM_THREADS=1 (a sweep worker on a 2-core machine with parallel: 2) keeps it to one thread', () => {
    expect(childThreads({ OPENBLAS_NUM_THREADS: '1' })).toEqual({ pool: 1, ok: true });
  });

  it.runIf(cores > 1)('OMP_NUM_THREADS counts when OPENBLAS_NUM_THREADS is unset, and OPENBLAS_NUM_THREADS wins over it', () => {
    expect(childThreads({ OMP_NUM_THREADS: '1' }).pool).toBe(1);
    expect(childThreads({ OPENBLAS_NUM_THREADS: '2', OMP_NUM_THREADS: '1' }).pool).toBe(2);
  });

  it('ignores a value that is not a positive integer', () => {
    expect(childThreads({ OPENBLAS_NUM_THREADS: 'four' }).pool).toBe(Math.min(cores, 64));
    expect(childThreads({ OPENBLAS_NUM_THREADS: '0' }).pool).toBe(Math.min(cores, 64));
  });
});
