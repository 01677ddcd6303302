/**
 * Which BLAS libmlx really runs on, and how fast: matmul speed on a CPU is almost entirely the BLAS
 * (the mlx-cpu wheel bundles netlib's reference BLAS, ~50x slower than OpenBLAS). Used by
 * `mlx-train doctor` and the benchmarks.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { native } from '../core/binding.js';
import * as mx from '../core/index.js';
import { openBlasCoreSource, type OpenBlasCoreSource } from '../native/load.js';

export type BlasKind = 'openblas' | 'reference' | 'mkl' | 'blis' | 'accelerate' | 'unknown';

export interface LoadedLibrary {
  /** The path the dynamic loader mapped (may be a symlink such as the wheel's libblas-<hash>.so). */
  mappedPath: string;
  /** The file behind it, symlinks resolved. */
  realPath: string;
}

export interface BlasInfo {
  kind: BlasKind;
  /** BLAS/LAPACK shared objects mapped into this process, in load order. */
  libraries: LoadedLibrary[];
  /** e.g. '0.3.34.481.3' from openblas_get_config(), or '0.3.21' from a file name libopenblasp-r0.3.21.so. */
  version?: string;
  /** Where the OpenBLAS comes from: PyPI's scipy-openblas32 (the default install) or another build. */
  source?: 'scipy-openblas32' | 'other';
  /** OpenBLAS threading build from its file name or directory: pthread, openmp or serial. */
  threading?: 'pthread' | 'openmp' | 'serial';
  /** The OpenBLAS kernel in use (openblas_get_corename), e.g. 'SkylakeX', or 'Prescott' for the slow fallback. */
  core?: string;
  /** openblas_get_config(): version, build options and the compiled-for target. */
  config?: string;
  /** Threads OpenBLAS uses for one GEMM. */
  threads?: number;
  /** OPENBLAS_CORETYPE as seen by this process (src/native/load.ts sets it only as a fallback). */
  coretypeEnv?: string;
  /** Who chose the kernel: OpenBLAS's run-time CPU detection, the user (OPENBLAS_CORETYPE), or load.ts's guess. */
  coreChosenBy?: OpenBlasCoreSource;
}

const BLAS_NAME = /(^|\/)lib(open)?blas|liblapack|libmkl_|libblis|Accelerate|libscipy_openblas|libmlxt_openblas/;

/** BLAS-like libraries mapped into this process, read from /proc/self/maps (Linux only). */
export function mappedBlasLibraries(maps = readMaps()): LoadedLibrary[] {
  const seen = new Set<string>();
  const out: LoadedLibrary[] = [];
  for (const line of maps.split('\n')) {
    const path = line.slice(line.indexOf('/')).trim();
    if (!line.includes('/') || seen.has(path) || !BLAS_NAME.test(basename(path)) || path.endsWith(' (deleted)')) continue;
    seen.add(path);
    let realPath = path;
    try {
      realPath = realpathSync(path);
    } catch { /* keep the mapped path */ }
    out.push({ mappedPath: path, realPath });
  }
  return out;
}

function readMaps(): string {
  try {
    return readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return '';
  }
}

function classify(libs: LoadedLibrary[]): BlasKind {
  const names = libs.map((l) => l.realPath);
  if (names.some((n) => /openblas/.test(n))) return 'openblas';
  if (names.some((n) => /libmkl_/.test(n))) return 'mkl';
  if (names.some((n) => /libblis/.test(n))) return 'blis';
  if (names.some((n) => /Accelerate/.test(n))) return 'accelerate';
  // A bare libblas.so.3 (netlib, or the wheel's bundled copy) is the reference implementation.
  if (names.some((n) => /libblas[-.]/.test(basename(n)))) return 'reference';
  return 'unknown';
}

/** The BLAS that libmlx loaded in this process (the addon is loaded by importing this module). */
export function blasInfo(): BlasInfo {
  const libraries = mappedBlasLibraries();
  const info: BlasInfo = { kind: classify(libraries), libraries };
  if (process.env.OPENBLAS_CORETYPE) info.coretypeEnv = process.env.OPENBLAS_CORETYPE;
  if (info.kind !== 'openblas') return info;
  const named = (re: RegExp) => libraries.find((l) => re.test(basename(l.realPath)));
  // The library holding OpenBLAS itself, not a forwarder or reference-ABI wrapper around it.
  const openblas = named(/^lib(scipy_)?openblas/) ?? libraries.find((l) => /openblas/.test(l.realPath))!;
  info.source = /libscipy_openblas/.test(basename(openblas.realPath)) ? 'scipy-openblas32' : 'other';
  const version = /-r(\d+\.\d+\.\d+)/.exec(basename(openblas.realPath));
  if (version) info.version = version[1];
  // Debian: openblas-{pthread,openmp,serial}/; upstream names: libopenblas{p,o,}-r<version>.so.
  const dir = /openblas-(pthread|openmp|serial)\//.exec(openblas.realPath);
  const suffix = /^libopenblas(p|o)?-r/.exec(basename(openblas.realPath));
  if (dir) info.threading = dir[1] as BlasInfo['threading'];
  else if (suffix) info.threading = suffix[1] === 'p' ? 'pthread' : suffix[1] === 'o' ? 'openmp' : 'serial';
  for (const lib of [openblas, ...libraries]) {
    const details = native.openblasInfo(lib.realPath);
    if (!details) continue;
    const [core, config, threads, parallel] = details;
    Object.assign(info, { core, config, threads });
    const configVersion = /^OpenBLAS (\S+)/.exec(config);
    if (configVersion) info.version = configVersion[1];
    if (parallel !== null) info.threading = parallel === 1 ? 'pthread' : parallel === 2 ? 'openmp' : 'serial';
    break;
  }
  info.coreChosenBy = openBlasCoreSource();
  return info;
}

export interface GemmMeasurement {
  n: number;
  dtype: 'float32';
  /** Best of the timed repetitions, in GFLOP/s (2·n³ flops per matmul). */
  gflops: number;
  bestMs: number;
  repeats: number;
}

/** Times an n×n×n float32 matmul through MLX (so through libmlx's BLAS), best of `repeats` after a warm-up. */
export function measureGemmGflops(n = 1024, repeats = 5): GemmMeasurement {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`measureGemmGflops: expected a positive integer for n but received ${n}`);
  return mx.tidy(() => {
    const a = mx.divide(mx.reshape(mx.arange(n * n, { dtype: 'float32' }), [n, n]), n * n);
    const b = mx.transpose(a);
    mx.eval(a, b);
    mx.eval(mx.matmul(a, b));  // warm-up: thread pool start, page faults
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < repeats; i++) {
      const start = process.hrtime.bigint();
      const c = mx.matmul(a, b);
      mx.eval(c);
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
      c.dispose();
    }
    return { n, dtype: 'float32' as const, gflops: (2 * n ** 3) / (best * 1e6), bestMs: best, repeats };
  });
}
