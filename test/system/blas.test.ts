import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blasInfo, mappedBlasLibraries, measureGemmGflops } from '../../src/system/blas.js';
import { chooseOpenBlasCore, loadBinding, openBlasDetectsCpu, quietOpenBlasThreads } from '../../src/native/load.js';

const stampPath = join(import.meta.dirname, '..', '..', 'vendor', 'mlx', 'mlx-train.json');
interface Stamp { blas?: { source: 'scipy-openblas32'; version: string } | { source: 'system'; dir: string } | null }
const stamp = existsSync(stampPath) ? (JSON.parse(readFileSync(stampPath, 'utf8')) as Stamp) : null;

describe.runIf(process.platform === 'linux')('blasInfo', () => {
  it('reports the BLAS libmlx loaded, matching what scripts/fetch-mlx.mjs linked', () => {
    const info = blasInfo();
    expect(info.libraries.length).toBeGreaterThan(0);
    if (stamp?.blas) {
      expect(info.kind).toBe('openblas');
      expect(info.core).toMatch(/^\w+$/);
      expect(info.config).toMatch(/^OpenBLAS \d+\.\d+\.\d+/);
      expect(info.threads).toBeGreaterThan(0);
      if (info.version) expect(info.config).toContain(info.version);
      // The kernel chosen by OpenBLAS, load.ts or the user is the one OpenBLAS runs.
      if (info.coretypeEnv) expect(info.core!.toLowerCase()).toBe(info.coretypeEnv.toLowerCase());
    } else if (stamp) {
      expect(info.kind).toBe('reference');
    }
  });

  it.runIf(stamp?.blas?.source === 'scipy-openblas32')('runs on the PyPI OpenBLAS through the forwarder, with no system BLAS and no guessed kernel', () => {
    const info = blasInfo();
    const root = join(import.meta.dirname, '..', '..', 'vendor');
    expect(info.source).toBe('scipy-openblas32');
    expect(info.version).toBe((stamp!.blas as { version: string }).version);
    const paths = info.libraries.map((l) => l.realPath);
    expect(paths.some((p) => p.startsWith(join(root, 'openblas')) && p.endsWith('/libscipy_openblas.so'))).toBe(true);
    expect(paths.some((p) => p.endsWith('/mlx_cpu.libs/libmlxt_openblas.so'))).toBe(true);
    // Nothing from a system BLAS package, and not the wheel's reference BLAS.
    expect(paths.filter((p) => !p.startsWith(root))).toEqual([]);
    expect(paths.filter((p) => /\.reference$/.test(p))).toEqual([]);
    // OpenBLAS detected the CPU itself: load.ts did not set OPENBLAS_CORETYPE (unless the user did).
    expect(info.coreChosenBy).toBe(info.coretypeEnv ? 'user' : 'detected');
    if (process.arch === 'x64') expect(info.core).not.toBe('Prescott');
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

describe('the OPENBLAS_CORETYPE fallback (src/native/load.ts)', () => {
  const fakeRoot = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'mlxt-blas-'));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
  const tuple = `${process.platform}-${process.arch}`;

  it('trusts the CPU detection of the PyPI OpenBLAS a source build or a prebuild installs, not other builds', () => {
    expect(openBlasDetectsCpu(fakeRoot({ 'vendor/mlx/mlx-train.json': '{"blas":{"source":"scipy-openblas32"}}' }))).toBe(true);
    expect(openBlasDetectsCpu(fakeRoot({ 'vendor/mlx/mlx-train.json': '{"blas":{"source":"system","dir":"/usr/lib"}}' }))).toBe(false);
    expect(openBlasDetectsCpu(fakeRoot({ [`prebuilds/${tuple}/libscipy_openblas.so`]: '' }))).toBe(true);
    expect(openBlasDetectsCpu(fakeRoot({ [`prebuilds/${tuple}/libblas.so.3`]: '' }))).toBe(false);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('guesses a kernel only for an OpenBLAS without detection', () => {
    const saved = process.env.OPENBLAS_CORETYPE;
    try {
      delete process.env.OPENBLAS_CORETYPE;
      expect(chooseOpenBlasCore(true)).toBeUndefined();
      expect(process.env.OPENBLAS_CORETYPE).toBeUndefined();
      const flags = readFileSync('/proc/cpuinfo', 'utf8');
      const guess = chooseOpenBlasCore(false);
      if (/\bavx2\b/.test(flags) && /\bfma\b/.test(flags)) {
        expect(guess).toMatch(/^(Haswell|SkylakeX)$/);
        expect(process.env.OPENBLAS_CORETYPE).toBe(guess);
      }
      process.env.OPENBLAS_CORETYPE = 'Zen';
      expect(chooseOpenBlasCore(false)).toBe('Zen');  // the user's choice always wins
    } finally {
      if (saved === undefined) delete process.env.OPENBLAS_CORETYPE;
      else process.env.OPENBLAS_CORETYPE = saved;
    }
  });

  it.runIf(process.platform === 'linux')('lets idle OpenBLAS workers sleep unless the user chose a timeout', () => {
    loadBinding();
    // Set before the addon (and so OpenBLAS) loaded, unless this process was started with a value.
    expect(process.env.OPENBLAS_THREAD_TIMEOUT).toMatch(/^\d+$/);
    const saved = process.env.OPENBLAS_THREAD_TIMEOUT;
    try {
      delete process.env.OPENBLAS_THREAD_TIMEOUT;
      quietOpenBlasThreads();
      expect(process.env.OPENBLAS_THREAD_TIMEOUT).toBe('4');
      process.env.OPENBLAS_THREAD_TIMEOUT = '12';
      quietOpenBlasThreads();
      expect(process.env.OPENBLAS_THREAD_TIMEOUT).toBe('12');  // the user's value wins
    } finally {
      if (saved === undefined) delete process.env.OPENBLAS_THREAD_TIMEOUT;
      else process.env.OPENBLAS_THREAD_TIMEOUT = saved;
    }
  });
});
