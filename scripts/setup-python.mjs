#!/usr/bin/env node
// Creates .venv with the pinned Python reference tools (MLX, NumPy, MLflow) that the tests compare
// against. Reinstalls only when scripts/requirements-test.txt changes.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// An empty MLX_TRAIN_VENV means unset (it would otherwise put the venv in the working directory).
export const venvDir = process.env.MLX_TRAIN_VENV || join(root, '.venv');
export const venvPython = join(venvDir, 'bin', 'python');

export function setupPython() {
  const reqs = join(root, 'scripts', 'requirements-test.txt');
  const hash = createHash('sha256').update(readFileSync(reqs)).digest('hex');
  const stamp = join(venvDir, '.requirements.sha256');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash && existsSync(venvPython)) return venvPython;
  const py = process.env.PYTHON ?? 'python3';
  console.error(`mlx-train tests: installing the Python reference tools into ${venvDir} (once)`);
  try {
    if (!existsSync(venvPython)) execFileSync(py, ['-m', 'venv', venvDir], { stdio: 'inherit' });
    execFileSync(venvPython, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', reqs], { stdio: 'inherit' });
  } catch (err) {
    throw new Error(`Could not set up the Python test environment in ${venvDir} (needs ${py} with venv and pip, and PyPI): ${err.message}`);
  }
  writeFileSync(stamp, hash);
  return venvPython;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) setupPython();
