/** Starts test ranks through the real launcher and collects their output and result files. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { launch, type LaunchOptions, type LaunchResult } from '../../src/distributed/index.js';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const childrenDir = join(root, 'test', 'distributed', 'children');
/** argv that runs a TypeScript child script with the repo's type-stripping loader. */
export const nodeTs = (script: string): string[] => [process.execPath, '--import', join(root, 'scripts', 'register-ts.mjs'), join(childrenDir, script)];
export const python = (): string => process.env.MLX_TRAIN_TEST_PYTHON ?? join(root, '.venv', 'bin', 'python');

export class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface Ran extends LaunchResult {
  stdout: string;
  stderr: string;
  ms: number;
  outDir: string;
}

export async function runRanks(command: string[], opts: Partial<LaunchOptions> & { env?: string[] } = {}): Promise<Ran> {
  const outDir = mkdtempSync(join(tmpdir(), 'mlxt-dist-test-'));
  const stdout = new Collect();
  const stderr = new Collect();
  const t0 = Date.now();
  const result = await launch({ n: 2, ...opts, command, env: [`OUT_DIR=${outDir}`, ...(opts.env ?? [])], stdout, stderr });
  return { ...result, stdout: stdout.text, stderr: stderr.text, ms: Date.now() - t0, outDir };
}

export function readOut<T = Record<string, unknown>>(outDir: string, name: string): T {
  const file = join(outDir, name);
  if (!existsSync(file)) throw new Error(`the rank wrote no ${name}`);
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
