/**
 * A copy of the .venv's Python MLX whose bundled reference BLAS is swapped for the OpenBLAS the addon
 * uses, the same way scripts/fetch-mlx.mjs treats the addon's own copy: PyPI's scipy-openblas32 from
 * vendor/openblas through a forwarder built for Python MLX's libmlx, or else a system OpenBLAS. So Python
 * MLX can be measured both as shipped and on the same BLAS. Lives in bench/.out/ (git-ignored); returns the
 * PYTHONPATH to use.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { findOpenBlas, linkOpenBlas, linkPypiOpenBlas } from '../../scripts/fetch-mlx.mjs';
import { pythonPath, root } from './harness.js';

export function pythonMlxWithOpenBlas(): string | undefined {
  const openblasLibDir = join(root, 'vendor', 'openblas', 'scipy_openblas32', 'lib');
  const pypi = existsSync(join(openblasLibDir, 'libscipy_openblas.so'));
  const system = pypi ? undefined : (findOpenBlas() as string | undefined);
  if (!pypi && !system) return undefined;
  const copy = join(root, 'bench', '.out', 'python-mlx-openblas');
  const libs = join(copy, 'mlx_cpu.libs');
  const marker = join(copy, pypi ? 'pypi-openblas' : 'system-openblas');
  if (!existsSync(marker)) {
    const site = execFileSync(pythonPath(), ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: 'utf8' }).trim();
    rmSync(copy, { recursive: true, force: true });
    for (const dir of ['mlx', 'mlx_cpu.libs']) cpSync(join(site, dir), join(copy, dir), { recursive: true, verbatimSymlinks: true });
    if (pypi) linkPypiOpenBlas(libs, join(copy, 'mlx', 'lib', 'libmlx.so'), openblasLibDir);
    else linkOpenBlas(libs, system);
    writeFileSync(marker, '');
  }
  return copy;
}
