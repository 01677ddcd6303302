import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blasInfo, mappedBlasLibraries, measureGemmGflops } from '../../src/system/blas.js';

const stampPath = join(import.meta.dirname, '..', '..', 'vendor', 'mlx', 'mlx-train.json');
const stamp = existsSync(stampPath) ? (JSON.parse(readFileSync(stampPath, 'utf8')) as { openblas: string | null }) : null;

describe.runIf(process.platform === 'linux')('blasInfo', () => {
  it('reports the BLAS libmlx loaded, matching what scripts/fetch-mlx.mjs linked', () => {
    const info = blasInfo();
    expect(info.libraries.length).toBeGreaterThan(0);
    if (stamp?.openblas) {
      expect(info.kind).toBe('openblas');
      expect(info.libraries.some((l) => l.realPath.startsWith(stamp.openblas!))).toBe(true);
      expect(info.core).toMatch(/^\w+$/);
      expect(info.config).toMatch(/^OpenBLAS \d+\.\d+\.\d+/);
      expect(info.threads).toBeGreaterThan(0);
      if (info.version) expect(info.config).toContain(info.version);
      // The kernel chosen by load.ts (or the user) is the one OpenBLAS runs.
      if (info.coretypeEnv) expect(info.core!.toLowerCase()).toBe(info.coretypeEnv.toLowerCase());
    } else if (stamp) {
      expect(info.kind).toBe('reference');
    }
  });

  it('finds BLAS libraries in a maps listing and skips the rest', () => {
    const maps = [
      '7f0000000000-7f0000001000 r-xp 00000000 08:01 1 /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f0000001000-7f0000002000 r-xp 00000000 08:01 2 /opt/x/mlx_cpu.libs/libblas-bd8a282c.so.3.10.0',
      '7f0000002000-7f0000003000 r--p 00001000 08:01 2 /opt/x/mlx_cpu.libs/libblas-bd8a282c.so.3.10.0',
      '7f0000003000-7f0000004000 r-xp 00000000 08:01 3 /opt/x/libopenblasp-r0.3.21.so',
      '7f0000004000-7f0000005000 rw-p 00000000 00:00 0 [heap]',
    ].join('\n');
    expect(mappedBlasLibraries(maps).map((l) => l.mappedPath)).toEqual([
      '/opt/x/mlx_cpu.libs/libblas-bd8a282c.so.3.10.0', '/opt/x/libopenblasp-r0.3.21.so',
    ]);
  });
});

describe('measureGemmGflops', () => {
  it('times a small matmul and reports consistent figures', () => {
    const m = measureGemmGflops(64, 2);
    expect(m.n).toBe(64);
    expect(m.bestMs).toBeGreaterThan(0);
    expect(m.gflops).toBeCloseTo((2 * 64 ** 3) / (m.bestMs * 1e6), 6);
  });

  it('rejects a bad size', () => {
    expect(() => measureGemmGflops(0)).toThrow(/expected a positive integer for n but received 0/);
  });
});
