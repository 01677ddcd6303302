#!/usr/bin/env node
// Obtains the pinned MLX build for this platform from its PyPI wheel and unpacks it into vendor/mlx.
// MLX is in neither npm nor Debian; its wheels carry libmlx, the headers and the CMake package config.
// MLX_DIR=<prefix holding share/cmake/MLX> uses an existing install instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

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

/** Where a system OpenBLAS offers the reference-BLAS ABI (libblas.so.3 / liblapack.so.3). */
export function findOpenBlas() {
  const candidates = [
    process.env.MLX_TRAIN_OPENBLAS_DIR,
    '/usr/lib/x86_64-linux-gnu/openblas-pthread',
    '/usr/lib/aarch64-linux-gnu/openblas-pthread',
    '/usr/lib64/openblas-pthreads',
    '/usr/lib/openblas-pthread',
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'libblas.so.3')) && existsSync(join(d, 'liblapack.so.3')));
}

/**
 * The Linux wheels bundle netlib's reference BLAS (~3 GFLOP/s sgemm here, against ~200 for OpenBLAS).
 * libmlx loads it by its mangled name through an rpath, so pointing that name at OpenBLAS swaps it in
 * without relinking; the original is kept beside it as *.reference.
 */
export function linkOpenBlas(libsDir, openblasDir) {
  const swapped = [];
  for (const name of readdirSync(libsDir)) {
    const kind = name.startsWith('libblas-') ? 'libblas.so.3' : name.startsWith('liblapack-') ? 'liblapack.so.3' : null;
    if (!kind || name.endsWith('.reference')) continue;
    const path = join(libsDir, name);
    if (lstatSync(path).isSymbolicLink()) rmSync(path);
    else renameSync(path, `${path}.reference`);
    symlinkSync(join(openblasDir, kind), path);
    swapped.push(name);
  }
  return swapped;
}

function fetchWheel(pkg) {
  const py = python();
  const tmp = join(root, 'vendor', `.download-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync(py, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check',
      '--dest', tmp, `${pkg}==${MLX_VERSION}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    fail(`pip could not download ${pkg}==${MLX_VERSION} from PyPI (see pip's message above).\n` +
      'Check that PyPI is reachable (or a PIP_INDEX_URL mirror is set), or set MLX_DIR to an existing MLX install prefix.');
  }
  const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
  if (!wheel) fail(`pip reported success but left no wheel for ${pkg} in ${tmp}`);
  rmSync(vendorDir, { recursive: true, force: true });
  mkdirSync(vendorDir, { recursive: true });
  execFileSync(py, ['-m', 'zipfile', '-e', join(tmp, wheel), vendorDir], { stdio: 'inherit' });
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
  const openblas = process.platform === 'linux' ? findOpenBlas() : undefined;
  if (stamp?.version === MLX_VERSION && stamp.package === pkg && stamp.openblas === (openblas ?? null)) {
    return join(vendorDir, 'mlx');
  }
  const wheel = stamp?.version === MLX_VERSION && stamp.package === pkg ? stamp.wheel : fetchWheel(pkg);
  const libsDir = readdirSync(vendorDir).find((d) => d.endsWith('.libs'));
  let swapped = [];
  if (libsDir && openblas) {
    swapped = linkOpenBlas(join(vendorDir, libsDir), openblas);
    console.error(`mlx-train: linked ${swapped.join(', ')} to OpenBLAS in ${openblas}`);
  } else if (libsDir) {
    console.error('mlx-train: warning: the MLX wheel bundles the slow reference BLAS and no OpenBLAS was found;\n' +
      '  matmul will be ~50x slower. Install it (Debian/Ubuntu: apt-get install libopenblas0-pthread) and run npm run fetch-mlx.');
  }
  writeFileSync(stampPath, JSON.stringify({ version: MLX_VERSION, package: pkg, wheel, openblas: openblas ?? null, swapped }, null, 2));
  console.error(`mlx-train: MLX ${MLX_VERSION} (${pkg}) ready in ${vendorDir}`);
  return join(vendorDir, 'mlx');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
