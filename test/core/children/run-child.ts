/** Runs a TypeScript script in a fresh Node process (sources loaded through scripts/register-ts.mjs). */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface ChildResult { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

export function runTsChild(script: string, args: string[] = [], nodeFlags: string[] = []): ChildResult {
  const r = spawnSync(process.execPath, [...nodeFlags, '--import', join(root, 'scripts', 'register-ts.mjs'), script, ...args], {
    cwd: root, encoding: 'utf8', timeout: 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
