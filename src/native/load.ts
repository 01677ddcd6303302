/**
 * Loads the compiled addon: a prebuild for this platform (prebuilds/<platform>-<arch>/) or the tree's
 * own build (build/Release/). A miss explains the platform, the loader's own error and the fix.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MlxError, NativeLoadError } from '../errors.js';
import type { Binding } from './binding.js';

const require = createRequire(import.meta.url);
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export type OpenBlasCoreSource = 'detected' | 'user' | 'guess';
let coreSource: OpenBlasCoreSource = 'detected';

/** Who chose the OpenBLAS kernel in this process: its own CPU detection, the user, or the guess below. */
export const openBlasCoreSource = (): OpenBlasCoreSource => coreSource;

/**
 * Whether the OpenBLAS the addon loads detects the CPU itself: the PyPI scipy-openblas build that
 * scripts/fetch-mlx.mjs installs (recorded in vendor/'s stamp) or a prebuild ships beside the addon.
 * Other builds (e.g. Debian's, through MLX_TRAIN_OPENBLAS_DIR) may not.
 */
export function openBlasDetectsCpu(root = packageRoot): boolean {
  try {
    const stamp = JSON.parse(readFileSync(join(root, 'vendor', 'mlx', 'mlx-train.json'), 'utf8')) as { blas?: { source?: string } };
    return stamp.blas?.source === 'scipy-openblas32';
  } catch {
    return existsSync(join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'libscipy_openblas.so'));
  }
}

/**
 * The fallback where OpenBLAS's own CPU detection cannot be relied on: Debian's OpenBLAS 0.3.21 does not
 * recognise some virtualised CPUs (the model id is hidden) and falls back to its Prescott kernels, ~5x
 * slower. For such a build, when the user has not chosen, pick the kernel from the CPU's feature flags
 * before OpenBLAS initialises (it reads the variable once, when loaded). The scipy-openblas build
 * mlx-train installs detects the CPU at run time and is left alone.
 */
export function chooseOpenBlasCore(detects = openBlasDetectsCpu()): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  if (process.env.OPENBLAS_CORETYPE) {
    if (coreSource !== 'guess') coreSource = 'user';
    return process.env.OPENBLAS_CORETYPE;
  }
  if (detects) return undefined;
  let flags: Set<string>;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('flags'));
    flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return undefined;
  }
  const core = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))
    ? 'SkylakeX'
    : flags.has('avx2') && flags.has('fma')
      ? 'Haswell'
      : undefined;
  if (core) {
    process.env.OPENBLAS_CORETYPE = core;
    coreSource = 'guess';
  }
  return core;
}

/**
 * OpenBLAS's idle workers spin ~2^28 cycles waiting for the next GEMM before they sleep; between a training
 * step's many small GEMMs that spin burned ~300 ms CPU per MiniLM step on 2 cores and slowed the stream
 * thread. 4 (its minimum) lets them sleep: +9% full / +5% LoRA fine-tuning on a quiet 2-core run
 * (bench/RESULTS.md, 2026-12-07 03:00). Read by OpenBLAS when the addon loads; a user's value wins.
 */
export function quietOpenBlasThreads(): void {
  if (process.platform === 'linux' && process.env.OPENBLAS_THREAD_TIMEOUT === undefined) process.env.OPENBLAS_THREAD_TIMEOUT = '4';
}

let binding: Binding | undefined;

export function loadBinding(): Binding {
  if (binding) return binding;
  chooseOpenBlasCore();
  quietOpenBlasThreads();
  let loaded: Binding;
  try {
    loaded = require('node-gyp-build')(packageRoot) as Binding;
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new NativeLoadError(
      `Could not load the mlx-train native addon for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
        `Loader said: ${reason}\n` +
        'Build it from source with `npm rebuild mlx-train` (needs cmake, a C++20 compiler and Python 3 with pip),\n' +
        'or point MLX_DIR at an existing MLX install first. `npx mlx-train doctor` checks the environment.',
      { cause },
    );
  }
  // The addon only ever passes MLX_ERROR, MLX_INVALID_ARGUMENT or MLX_OUT_OF_MEMORY (native/errors.cc).
  loaded.setErrorClass(MlxError as new (message: string, code: string) => MlxError);
  binding = loaded;
  return loaded;
}
