// Starts a real `mlflow server` (from the test venv) on 127.0.0.1 with a throw-away SQLite backend and
// artifact root, so REST tests talk to MLflow itself. One server per test file: start in beforeAll,
// stop in afterAll. The server runs in its own process group so stop() also ends its workers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface MlflowServer {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:5123`. */
  readonly url: string;
  /** Temp folder holding the backend DB and artifacts (removed by stop()). */
  readonly dir: string;
  /** `sqlite:///…` URI of the server's backend store (readable by the Python client directly). */
  readonly backendUri: string;
  readonly artifactRoot: string;
  stop(): Promise<void>;
}

export function testPython(): string {
  return process.env.MLX_TRAIN_TEST_PYTHON ?? resolve('.venv/bin/python');
}

/** Asks the OS for a port that is free right now (the server binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once('error', fail);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Group already gone.
  }
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mlflow server exited early (code ${child.exitCode}, signal ${child.signalCode}):\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`mlflow server at ${url} did not answer /health within ${timeoutMs} ms:\n${output()}`);
}

/** A server over a fresh store, or over `backendUri` (an existing store, e.g. one mlx-train wrote; left in place by stop()). */
export async function startMlflowServer(options: { timeoutMs?: number; backendUri?: string } = {}): Promise<MlflowServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-mlflow-server-'));
  const backendUri = options.backendUri ?? `sqlite:///${join(dir, 'mlflow.db')}`;
  const artifactRoot = join(dir, 'artifacts');
  let lastError: unknown;
  // A port can be taken between probing and binding; try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(
      testPython(),
      ['-m', 'mlflow', 'server', '--host', '127.0.0.1', '--port', String(port), '--workers', '1',
        '--backend-store-uri', backendUri, '--artifacts-destination', artifactRoot],
      {
        cwd: dir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, MLFLOW_TRACKING_URI: '', PYTHONUNBUFFERED: '1' },
      },
    );
    let log = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // The server lives in its own process group; if this test process dies without afterAll, take it along.
    const reap = () => killGroup(child, 'SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.removeListener('exit', reap));
    try {
      await waitForHealth(url, child, () => log, options.timeoutMs ?? 120_000);
    } catch (err) {
      lastError = err;
      await stopChild(child);
      if (!/address already in use|Errno 98/i.test(log)) break;
      continue;
    }
    return {
      url,
      dir,
      backendUri,
      artifactRoot,
      async stop() {
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  // Workers may outlive the parent for a moment; make sure the whole group is gone.
  killGroup(child, 'SIGKILL');
}

/**
 * A long-lived Python helper speaking one JSON line per request line on stdin/stdout, so a test file
 * pays MLflow's import time once instead of once per check.
 */
export class PythonLineWorker {
  private readonly child: ChildProcess;
  private buffer = '';
  private stderr = '';
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];

  constructor(script: string, args: string[] = []) {
    this.child = spawn(testPython(), [script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, MLFLOW_TRACKING_URI: '', PYTHONUNBUFFERED: '1' },
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString();
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        this.waiting.shift()?.resolve(line);
      }
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w.reject(new Error(`${script} exited with ${code}:\n${this.stderr}`));
    });
  }

  /** Sends one request line; resolves with the parsed JSON answer (throws on an `error` field). */
  request<T>(line: string): Promise<T> {
    return new Promise<string>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin?.write(`${line}\n`);
    }).then((answer) => {
      const parsed = JSON.parse(answer) as T & { error?: string };
      if (parsed.error) throw new Error(`Python helper failed: ${parsed.error}`);
      return parsed;
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
