/**
 * scripts/fetch-mlx.mjs's BLAS choice, run as the install runs it but in a scratch copy of scripts/ and
 * vendor/ (so the tree's own vendor/ is untouched): PyPI's OpenBLAS through the forwarder by default,
 * the folder MLX_TRAIN_OPENBLAS_DIR names when set, and a clear error for a folder without OpenBLAS.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const stampOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'vendor', 'mlx', 'mlx-train.json'), 'utf8'));
const installed = process.platform === 'linux' && existsSync(join(root, 'vendor', 'openblas', 'mlx-train.json'))
  && stampOf(root).blas?.source === 'scipy-openblas32';

describe.runIf(installed)('fetch-mlx picks the BLAS', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mlxt-fetch-'));
  beforeAll(() => {
    cpSync(join(root, 'scripts'), join(scratch, 'scripts'), { recursive: true });
    cpSync(join(root, 'vendor'), join(scratch, 'vendor'), { recursive: true, verbatimSymlinks: true });
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const libs = join(scratch, 'vendor', 'mlx', 'mlx_cpu.libs');
  const blasName = (): string => stampOf(scratch).swapped.find((n: string) => n.startsWith('libblas-'));
  const fetch = (env: Record<string, string | undefined>) => {
    const e = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
    return spawnSync(process.execPath, [join(scratch, 'scripts', 'fetch-mlx.mjs')], { env: e, encoding: 'utf8' });
  };

  it('MLX_TRAIN_OPENBLAS_DIR points libmlx at that OpenBLAS; unset, at the forwarder over PyPI OpenBLAS again', () => {
    const system = join(scratch, 'my-openblas');
    mkdirSync(system);
    for (const f of ['libblas.so.3', 'liblapack.so.3']) writeFileSync(join(system, f), '');
    const chosen = fetch({ MLX_TRAIN_OPENBLAS_DIR: system, MLX_DIR: undefined });
    expect(chosen.status, chosen.stderr).toBe(0);
    expect(stampOf(scratch).blas).toEqual({ source: 'system', dir: system });
    expect(readlinkSync(join(libs, blasName()))).toBe(join(system, 'libblas.so.3'));

    const pypi = fetch({ MLX_TRAIN_OPENBLAS_DIR: undefined, MLX_DIR: undefined });
    expect(pypi.status, pypi.stderr).toBe(0);
    expect(pypi.stderr).toMatch(/-> libmlxt_openblas\.so: \d+ BLAS\/LAPACK symbols forwarded to scipy-openblas32/);
    expect(stampOf(scratch).blas.source).toBe('scipy-openblas32');
    expect(readlinkSync(join(libs, blasName()))).toBe('libmlxt_openblas.so');
    expect(existsSync(join(libs, `${blasName()}.reference`))).toBe(true);
  });

  it('names a MLX_TRAIN_OPENBLAS_DIR that holds no OpenBLAS, and changes nothing', () => {
    const before = stampOf(scratch);
    const r = fetch({ MLX_TRAIN_OPENBLAS_DIR: join(scratch, 'nowhere'), MLX_DIR: undefined });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`MLX_TRAIN_OPENBLAS_DIR=${join(scratch, 'nowhere')} does not hold libblas.so.3 and liblapack.so.3`);
    expect(stampOf(scratch)).toEqual(before);
  });
});
