#!/usr/bin/env node
// Obtains the pinned MLX build for this platform from its PyPI wheel and unpacks it into vendor/mlx.
// MLX is in neither npm nor Debian; its wheels carry libmlx, the headers and the CMake package config.
// MLX_DIR=<prefix holding share/cmake/MLX> uses an existing install instead.
// On Linux the wheel's bundled reference BLAS (~50x slower) is replaced by OpenBLAS: by default the pinned
// scipy-openblas32 wheel through a generated forwarding library (scripts/openblas.mjs), or an installed
// OpenBLAS's reference-ABI libraries when MLX_TRAIN_OPENBLAS_DIR names their folder.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadWheel, unpackWheel, WheelError } from './wheel.mjs';
import { buildForwarder, fetchOpenBlas, FORWARDER, OPENBLAS_PACKAGE, OPENBLAS_VERSION, OpenBlasError } from './openblas.mjs';

export const MLX_VERSION = '0.32.4';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const vendorDir = join(root, 'vendor', 'mlx');

function fail(message) {
  console.error(`\nmlx-train: ${message}\n`);
  process.exit(1);
}

/** The wheel that carries libmlx for this platform (mlx-metal on Apple silicon, mlx-cpu or mlx-cuda-* on Linux). */
export function wheelFor(platform = process.platform, arch = process.arch, variant = process.env.MLX_VARIANT ?? 'cpu') {
  if (platform === 'darwin' && arch === 'arm64') return 'mlx-metal';
  if (platform === 'linux' && (arch === 'x64' || arch === 'arm64')) {
    if (variant === 'cpu') return 'mlx-cpu';
    if (/^cuda-\d+$/.test(variant)) return `mlx-${variant}`;
    fail(`MLX_VARIANT=${variant} is not one of: cpu, cuda-12, cuda-13`);
  }
  fail(`MLX publishes no build for ${platform}-${arch}. Build MLX from source and set MLX_DIR to its install prefix.`);
}

/** Prefix (holding share/cmake/MLX) of an install named by MLX_DIR, checked. */
function existingInstall(dir) {
  const prefix = resolve(dir);
  if (!existsSync(join(prefix, 'share', 'cmake', 'MLX', 'MLXConfig.cmake'))) {
    fail(`MLX_DIR=${dir} does not hold an MLX install: expected ${join(prefix, 'share/cmake/MLX/MLXConfig.cmake')}.\n` +
      'Point MLX_DIR at the prefix of an MLX install (for a pip install: <site-packages>/mlx), or unset it to fetch MLX automatically.');
  }
  return prefix;
}

function python() {
  for (const cmd of [process.env.PYTHON, 'python3', 'python'].filter(Boolean)) {
    try {
      execFileSync(cmd, ['-m', 'pip', '--version'], { stdio: 'ignore' });
      return cmd;
    } catch { /* try the next one */ }
  }
  fail(`MLX ${MLX_VERSION} comes from its PyPI wheel, and fetching it needs Python 3 with pip, which was not found.\n` +
    'Install Python 3 with pip (Debian: apt-get install python3-pip), or set MLX_DIR to an existing MLX install prefix.');
}

/** Where a system OpenBLAS offers the reference-BLAS ABI (libblas.so.3 / liblapack.so.3); the benchmarks use it. */
export function findOpenBlas() {
  const candidates = [
    process.env.MLX_TRAIN_OPENBLAS_DIR,
    '/usr/lib/x86_64-linux-gnu/openblas-pthread',
    '/usr/lib/aarch64-linux-gnu/openblas-pthread',
    '/usr/lib64/openblas-pthreads',
    '/usr/lib/openblas-pthread',
  ].filter(Boolean);
  return candidates.find((d) => hasReferenceAbi(d));
}

const hasReferenceAbi = (dir) => existsSync(join(dir, 'libblas.so.3')) && existsSync(join(dir, 'liblapack.so.3'));

/** The OpenBLAS the user chose with MLX_TRAIN_OPENBLAS_DIR (checked), else null: the pinned PyPI one. */
function chosenOpenBlasDir() {
  const dir = process.env.MLX_TRAIN_OPENBLAS_DIR;
  if (!dir) return null;
  if (!hasReferenceAbi(dir)) {
    fail(`MLX_TRAIN_OPENBLAS_DIR=${dir} does not hold libblas.so.3 and liblapack.so.3 (an OpenBLAS build of the reference ABI,\n` +
      'e.g. /usr/lib/x86_64-linux-gnu/openblas-pthread from Debian\'s libopenblas0-pthread). Unset it to use OpenBLAS from PyPI.');
  }
  return resolve(dir);
}

/**
 * The Linux wheels bundle netlib's reference BLAS (~3 GFLOP/s sgemm here, against ~200 for OpenBLAS).
 * libmlx loads it by its mangled name through an rpath, so pointing that name at another library swaps
 * it without relinking: `target(kind)` gives the file for 'libblas.so.3' or 'liblapack.so.3'. The
 * originals are kept beside them as *.reference. Returns the names swapped.
 */
export function linkBlas(libsDir, target) {
  const swapped = [];
  for (const name of readdirSync(libsDir)) {
    const kind = name.startsWith('libblas-') ? 'libblas.so.3' : name.startsWith('liblapack-') ? 'liblapack.so.3' : null;
    if (!kind || name.endsWith('.reference')) continue;
    const path = join(libsDir, name);
    if (lstatSync(path).isSymbolicLink()) rmSync(path);
    else renameSync(path, `${path}.reference`);
    symlinkSync(target(kind), path);
    swapped.push(name);
  }
  return swapped;
}

/** Points the wheel's BLAS names at an installed OpenBLAS's reference-ABI libraries in `openblasDir`. */
export function linkOpenBlas(libsDir, openblasDir) {
  return linkBlas(libsDir, (kind) => join(openblasDir, kind));
}

/**
 * Builds the forwarder for `libmlx` in `libsDir` (the wheel's .libs) over OpenBLAS in `openblasLibDir`
 * and points the wheel's BLAS names at it. The benchmarks do the same to a copy of Python MLX.
 */
export function linkPypiOpenBlas(libsDir, libmlx, openblasLibDir) {
  const blasNames = readdirSync(libsDir).filter((n) => /^lib(blas|lapack)-/.test(n));
  const references = blasNames.filter((n) => n.endsWith('.reference'));
  // The wheel's own reference libraries say which of libmlx's imports are BLAS/LAPACK.
  const originals = (references.length ? references : blasNames).map((n) => join(libsDir, n));
  const { symbols } = buildForwarder({ libmlx, referenceLibs: originals, openblasLibDir, libsDir });
  const swapped = linkBlas(libsDir, () => FORWARDER);
  return { swapped, symbols };
}

function fetchWheel(pkg) {
  const py = python();
  const tmp = join(root, 'vendor', `.download-${process.pid}`);
  let wheel;
  try {
    wheel = downloadWheel(py, `${pkg}==${MLX_VERSION}`, tmp, 'set MLX_DIR to an existing MLX install prefix');
  } catch (err) {
    if (err instanceof WheelError) fail(err.message);
    throw err;
  }
  unpackWheel(py, join(tmp, wheel), vendorDir);
  rmSync(tmp, { recursive: true, force: true });
  return wheel;
}

export function main() {
  if (process.env.MLX_DIR) {
    const prefix = existingInstall(process.env.MLX_DIR);
    console.error(`mlx-train: using MLX from MLX_DIR=${prefix}`);
    return prefix;
  }
  const pkg = wheelFor();
  const stampPath = join(vendorDir, 'mlx-train.json');
  const stamp = existsSync(stampPath) ? JSON.parse(readFileSync(stampPath, 'utf8')) : null;
  const systemDir = process.platform === 'linux' ? chosenOpenBlasDir() : null;
  const blas = process.platform !== 'linux' ? null
    : systemDir ? { source: 'system', dir: systemDir } : { source: OPENBLAS_PACKAGE, version: OPENBLAS_VERSION };
  const current = stamp?.version === MLX_VERSION && stamp.package === pkg;
  if (current && JSON.stringify(stamp.blas ?? null) === JSON.stringify(blas)) return join(vendorDir, 'mlx');
  const wheel = current ? stamp.wheel : fetchWheel(pkg);
  const libsDir = readdirSync(vendorDir).find((d) => d.endsWith('.libs'));
  let swapped = [];
  let symbols;
  if (libsDir && blas?.source === 'system') {
    swapped = linkOpenBlas(join(vendorDir, libsDir), blas.dir);
    console.error(`mlx-train: linked ${swapped.join(', ')} to OpenBLAS in ${blas.dir} (MLX_TRAIN_OPENBLAS_DIR)`);
  } else if (libsDir && blas) {
    try {
      const openblasLibDir = fetchOpenBlas(python(), join(root, 'vendor', 'openblas'));
      ({ swapped, symbols } = linkPypiOpenBlas(join(vendorDir, libsDir), join(vendorDir, 'mlx', 'lib', 'libmlx.so'), openblasLibDir));
    } catch (err) {
      if (err instanceof OpenBlasError) fail(err.message);
      throw err;
    }
    console.error(`mlx-train: ${swapped.join(', ')} -> ${FORWARDER}: ${symbols.length} BLAS/LAPACK symbols forwarded to ${OPENBLAS_PACKAGE} ${OPENBLAS_VERSION}`);
  }
  writeFileSync(stampPath, JSON.stringify({ version: MLX_VERSION, package: pkg, wheel, blas, swapped, symbols }, null, 2));
  console.error(`mlx-train: MLX ${MLX_VERSION} (${pkg}) ready in ${vendorDir}`);
  return join(vendorDir, 'mlx');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
