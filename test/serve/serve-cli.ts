/** Helpers of the serve tests: `mlx-train serve` as a child process, and a Python client script. */
import { type ChildProcess, spawn } from 'node:child_process';
import { cliPath } from '../cli/helpers.js';
import { testPython } from '../helpers/mlflow-server.js';

/** Starts `mlx-train serve` and resolves with its URL once it listens. */
export async function startServeCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [cliPath, 'serve', ...args], { cwd: options.cwd, env: { ...process.env, ...options.env, NO_COLOR: '1' } });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/invocations/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return { child, url, stderr: () => stderr };
}

/** Runs a Python script in the test venv without blocking this process's event loop (the server answers from it). */
export function runPython(script: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(testPython(), ['-c', script, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}
