/**
 * Starts N ranks of a command with the environment MLX's ring backend reads (MLX_RANK, MLX_HOSTFILE),
 * like `mlx.launch`: locally on loopback with free ports, or over ssh on the hosts of a hostfile. If a
 * rank fails, the others are stopped (SIGTERM, then SIGKILL) so nothing hangs; signals to the launcher
 * are forwarded; the result names every rank that failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DistributedError } from './init.js';
import { isLocalHost, ringHostfile, type Host } from './hostfile.js';

export interface LaunchOptions {
  /** The command each rank runs (argv: program first). */
  command: string[];
  /** Number of ranks on this machine (when `hosts` is not given). */
  n?: number;
  /** Hosts, one rank each (mlx.launch's hostfile entries). */
  hosts?: Host[];
  /** First listening port for remote hosts (local runs pick free ports). */
  startPort?: number;
  /** Extra environment "NAME=value" for every rank. */
  env?: string[];
  /** Working directory of the ranks (default: this one). */
  cwd?: string;
  /** Deadline in ms for each blocking distributed call inside the ranks (MLX_TRAIN_DIST_TIMEOUT_MS). */
  collectiveTimeoutMs?: number;
  /** After the first rank exits, how long the others may keep running before they are stopped (ms). */
  exitGraceMs?: number;
  /** Time between SIGTERM and SIGKILL when stopping ranks (ms). */
  killGraceMs?: number;
  /** Prefix each output line with `[rank i]` (default true). */
  prefixOutput?: boolean;
  /** Where rank output goes (default process.stdout / process.stderr). */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
}

export interface RankExit {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when the launcher stopped this rank because another failed. */
  stopped: boolean;
}

export interface LaunchResult {
  /** 0 when every rank succeeded, else the first failing rank's exit code (128+signal for a signal). */
  exitCode: number;
  ranks: RankExit[];
  /** A one-line explanation when something failed. */
  error?: string;
}

/** `count` TCP ports that are free on 127.0.0.1 right now (the OS picks them). */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<import('node:net').Server>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, host, () => resolve(s));
    })),
  );
  const ports = servers.map((s) => (s.address() as import('node:net').AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** POSIX shell quoting: the value as one single-quoted word. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function splitEnv(env: string[]): [string, string][] {
  return env.map((e) => {
    const eq = e.indexOf('=');
    const name = eq < 0 ? e : e.slice(0, eq);
    if (!ENV_NAME.test(name)) throw new DistributedError(`'${e}' is not a valid environment assignment NAME=value`);
    return [name, eq < 0 ? '' : e.slice(eq + 1)];
  });
}

/**
 * The shell script a remote rank runs: cd, environment, the ring hostfile written to a temp file
 * (MLX_HOSTFILE), MLX_RANK, then exec of the command, so the rank is the ssh session's process.
 */
export function remoteScript(opts: { rank: number; ringJson: string; env: string[]; cwd: string; command: string[] }): string {
  const parts = [`cd ${shellQuote(opts.cwd)} || exit 1`];
  for (const [k, v] of splitEnv(opts.env)) parts.push(`export ${k}=${shellQuote(v)}`);
  parts.push('MLX_HOSTFILE=$(mktemp) || exit 1', `printf '%s' ${shellQuote(opts.ringJson)} > "$MLX_HOSTFILE"`, 'export MLX_HOSTFILE');
  parts.push(`export MLX_RANK=${opts.rank}`);
  parts.push(`exec ${opts.command.map(shellQuote).join(' ')}`);
  return parts.join('; ');
}

/** The argv that starts rank `rank` on remote `host` (ssh with a tty, so closing it hangs up the rank). */
export function sshCommand(host: string, script: string): string[] {
  return ['ssh', '-tt', '-o', 'LogLevel=QUIET', '-o', 'BatchMode=yes', host, script];
}

function pipeLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, prefix: string): void {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk: string) => {
    const text = pending + chunk;
    const lines = text.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) to.write(`${prefix}${line}\n`);
  });
  from.on('end', () => {
    if (pending) to.write(`${prefix}${pending}\n`);
  });
}

/** Runs the ranks to completion. Never rejects for a rank's failure: read `exitCode` and `error`. */
export async function launch(opts: LaunchOptions): Promise<LaunchResult> {
  if (!Array.isArray(opts.command) || opts.command.length === 0) throw new DistributedError('launch: no command to run');
  const hosts: Host[] = opts.hosts ?? Array.from({ length: opts.n ?? 1 }, () => ({ ssh: '127.0.0.1', ips: ['127.0.0.1'] }));
  const n = hosts.length;
  if (!Number.isInteger(n) || n < 1) throw new DistributedError(`launch: expected at least one rank but got ${String(opts.n)}`);
  const allLocal = hosts.every((h) => isLocalHost(h.ssh));
  const ports = allLocal ? await freePorts(hosts.reduce((k, h) => k + Math.max(1, h.ips.length), 0)) : { startPort: opts.startPort ?? 32323 };
  const ring = ringHostfile(hosts.map((h) => (h.ips.length ? h : { ...h, ips: ['127.0.0.1'] })), ports);
  const ringJson = JSON.stringify(ring);
  const dir = mkdtempSync(join(tmpdir(), 'mlx-train-launch-'));
  const localHostfile = join(dir, 'ring.json');
  writeFileSync(localHostfile, ringJson);
  const cwd = opts.cwd ?? process.cwd();
  const extraEnv = [...(opts.env ?? [])];
  if (opts.collectiveTimeoutMs !== undefined) extraEnv.push(`MLX_TRAIN_DIST_TIMEOUT_MS=${opts.collectiveTimeoutMs}`);
  const envPairs = splitEnv(extraEnv);
  const killGraceMs = opts.killGraceMs ?? 5000;
  const exitGraceMs = opts.exitGraceMs ?? 120_000;
  const out = opts.stdout ?? process.stdout;
  const err = opts.stderr ?? process.stderr;

  const children: ChildProcess[] = [];
  const exits: (RankExit | undefined)[] = new Array(n);
  const stopping = new Set<number>();
  let firstFailure: string | undefined;
  const timers: NodeJS.Timeout[] = [];

  // Sends `signal` to every rank still running, then SIGKILL to those still there after killGraceMs.
  const stopAll = (reason: string, signal: NodeJS.Signals, markStopped: boolean) => {
    firstFailure ??= reason;
    children.forEach((c, r) => {
      if (exits[r] || stopping.has(r)) return;
      if (markStopped) stopping.add(r);
      signalRank(c, signal);
      timers.push(setTimeout(() => exits[r] || signalRank(c, 'SIGKILL'), killGraceMs));
    });
  };
  const stopOthers = (reason: string) => stopAll(reason, 'SIGTERM', true);
  const forward = (signal: NodeJS.Signals) => () => stopAll(`launcher received ${signal}; passed it to every rank`, signal, false);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  // Prepended so the ranks get the signal even when another handler (the CLI's SIGINT) exits at once.
  for (const [s, h] of handlers) process.prependListener(s, h);

  try {
    const done = hosts.map((h, rank) => new Promise<void>((resolve) => {
      const prefix = opts.prefixOutput === false ? '' : `[rank ${rank}] `;
      let child: ChildProcess;
      if (isLocalHost(h.ssh)) {
        const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(envPairs), MLX_RANK: String(rank), MLX_HOSTFILE: localHostfile };
        // Own process group (detached), so stopping a rank also stops whatever it started.
        child = spawn(opts.command[0], opts.command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      } else {
        const script = remoteScript({ rank, ringJson, env: extraEnv, cwd, command: opts.command });
        const [prog, ...args] = sshCommand(h.ssh, script);
        child = spawn(prog, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      }
      children[rank] = child;
      pipeLines(child.stdout!, out, prefix);
      pipeLines(child.stderr!, err, prefix);
      child.on('error', (e) => {
        exits[rank] ??= { rank, code: 127, signal: null, stopped: false };
        stopOthers(`rank ${rank} could not start: ${e.message}`);
        resolve();
      });
      child.on('exit', (code, signal) => {
        exits[rank] ??= { rank, code, signal, stopped: stopping.has(rank) };
        if ((code !== 0 || signal) && !stopping.has(rank)) {
          const how = signal ? `was killed by ${signal}` : code === 124 ? 'timed out waiting for a peer (exit 124)' : `exited with code ${code}`;
          stopOthers(`rank ${rank} ${how}; stopped the other ranks`);
        } else if (code === 0) {
          // A finished rank cannot answer collectives any more: bound how long the others may run on.
          const t = setTimeout(() => stopOthers(`rank ${rank} finished but the others were still running ${exitGraceMs} ms later; stopped them`), exitGraceMs);
          t.unref();
          timers.push(t);
        }
      });
      child.on('close', () => resolve());
      // Output pipes can outlive the rank (a grandchild holding them); don't wait on them for long.
      child.on('exit', () => setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve();
      }, 1000).unref());
    }));
    await Promise.all(done);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    for (const t of timers) clearTimeout(t);
    rmSync(dir, { recursive: true, force: true });
  }

  const ranks = exits.map((e, r) => e ?? { rank: r, code: null, signal: null, stopped: true });
  const failed = ranks.find((e) => !e.stopped && (e.code !== 0 || e.signal)) ?? ranks.find((e) => e.code !== 0 || e.signal);
  if (!failed && !firstFailure) return { exitCode: 0, ranks };
  const code = failed ? (failed.signal ? 128 + signalNumber(failed.signal) : (failed.code ?? 1)) : 1;
  return { exitCode: code === 0 ? 1 : code, ranks, error: firstFailure ?? `rank ${failed?.rank} failed` };
}

/** Signals the rank's whole process group, falling back to the process itself. */
function signalRank(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return table[signal] ?? 1;
}
