/**
 * A copy of the .venv's Python MLX whose bundled reference BLAS is swapped for the system OpenBLAS, the
 * same way scripts/fetch-mlx.mjs treats the addon's own copy, so Python MLX can be measured both as
 * shipped and with OpenBLAS. Lives in bench/.out/ (git-ignored); returns the PYTHONPATH to use.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error plain ESM script without types
import { findOpenBlas, linkOpenBlas } from '../../scripts/fetch-mlx.mjs';
import { pythonPath, root } from './harness.js';

export function pythonMlxWithOpenBlas(): string | undefined {
  const openblas = findOpenBlas() as string | undefined;
  if (!openblas) return undefined;
  const site = execFileSync(pythonPath(), ['-c', "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { encoding: 'utf8' }).trim();
  const copy = join(root, 'bench', '.out', 'python-mlx-openblas');
  if (!existsSync(join(copy, 'mlx_cpu.libs'))) {
    rmSync(copy, { recursive: true, force: true });
    for (const dir of ['mlx', 'mlx_cpu.libs']) cpSync(join(site, dir), join(copy, dir), { recursive: true, verbatimSymlinks: true });
    linkOpenBlas(join(copy, 'mlx_cpu.libs'), openblas);
  }
  return copy;
}
