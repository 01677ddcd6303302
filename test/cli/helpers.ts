/** Runs the built CLI (dist/cli/main.js) as a subprocess, the way users run it. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(root, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...options.env };
  delete env.MLFLOW_TRACKING_URI;
  if (options.env?.MLFLOW_TRACKING_URI) env.MLFLOW_TRACKING_URI = options.env.MLFLOW_TRACKING_URI;
  const r = spawnSync(process.execPath, [cliPath, ...args], { cwd: options.cwd ?? root, env, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
