/**
 * `mlx-train launch -n N [--hosts FILE] [--backend ring] -- <subcommand args…>`: runs N ranks of an
 * mlx-train subcommand (or, with --raw, of any command) as one data-parallel job on MLX's ring backend,
 * setting MLX_RANK and MLX_HOSTFILE like MLX's own `mlx.launch`. Exits with the first failing rank's code.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './output.js';

export interface LaunchCliOptions {
  np?: string;
  hosts?: string;
  backend?: string;
  startPort?: string;
  env?: string[];
  timeout?: string;
  exitGrace?: string;
  raw?: boolean;
  prefix?: boolean;
  cwd?: string;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer but received '${value}'`);
  return n;
}

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} expects a number of seconds ≥ 0 but received '${value}'`);
  return n * 1000;
}

/** The argv each rank runs: this CLI (same Node, same flags) with `args`, or `args` itself with --raw. */
export function rankCommand(args: string[], raw: boolean): string[] {
  if (raw) return args;
  // From the sources (tests, benchmarks: the type-stripping loader in execArgv) only main.ts exists.
  const js = fileURLToPath(new URL('./main.js', import.meta.url));
  const main = existsSync(js) ? js : js.replace(/\.js$/, '.ts');
  return [process.execPath, ...process.execArgv, main, ...args];
}

export async function run(opts: Record<string, unknown>, args: string[]): Promise<void> {
  const o = opts as LaunchCliOptions;
  if (args.length === 0) throw new UsageError('launch needs the command to run after --, e.g. mlx-train launch -n 2 -- train -c run.yaml');
  if (!o.raw && args[0] === 'launch') throw new UsageError('launch cannot launch itself');
  const backend = o.backend ?? 'ring';
  if (backend !== 'ring') {
    throw new UsageError(
      backend === 'mpi'
        ? "--backend mpi is not supported by mlx-train launch (this machine's libmlx finds no MPI libraries; use mpirun directly where they exist)"
        : `unknown backend '${backend}' for launch (supported: ring)`,
    );
  }
  const np = positiveInt(o.np, '-n');
  const { launch, readHostfile } = await import('../distributed/index.js');
  const hostfile = o.hosts ? readHostfile(o.hosts) : undefined;
  if (hostfile && np !== undefined && np !== hostfile.hosts.length) throw new UsageError(`-n ${np} does not match the ${hostfile.hosts.length} hosts in ${o.hosts}`);
  if (hostfile?.backend && hostfile.backend !== 'ring') throw new UsageError(`${o.hosts} asks for backend '${hostfile.backend}' but launch supports only ring`);
  const result = await launch({
    command: rankCommand(args, Boolean(o.raw)),
    n: np ?? 1,
    hosts: hostfile?.hosts,
    startPort: positiveInt(o.startPort, '--start-port'),
    env: [...(hostfile?.envs ?? []), ...(o.env ?? [])],
    cwd: o.cwd,
    collectiveTimeoutMs: seconds(o.timeout, '--timeout'),
    exitGraceMs: seconds(o.exitGrace, '--exit-grace'),
    prefixOutput: o.prefix !== false,
  });
  if (result.exitCode !== 0) {
    process.stderr.write(`error[DISTRIBUTED_ERROR]: ${result.error ?? 'a rank failed'}\n`);
    process.exitCode = result.exitCode;
  }
}
