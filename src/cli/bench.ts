/** `mlx-train bench`: runs the benchmarks in bench/ (a source checkout; they compare against Python MLX). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from './output.js';

export async function run(opts: Record<string, unknown>, args: string[]): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const index = join(root, 'bench', 'index.ts');
  if (!existsSync(index) || !existsSync(join(root, 'node_modules', 'typescript'))) {
    throw new UsageError('bench runs from a source checkout of mlx-train (it needs bench/ and the dev dependencies): git clone, npm install, then mlx-train bench');
  }
  const flags = [...args];
  if (opts.trials) flags.push('--trials', String(opts.trials));
  if (opts.record) flags.push('--record');
  const r = spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', index, ...flags], { cwd: root, stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
