/**
 * Joining the distributed world: `init` (MLX's `distributed.init`), availability checks, and the
 * process-wide default group that `worldSize()`, `rank()` and `isMainProcess()` read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { native } from '../core/binding.js';
import { DistributedError } from '../errors.js';
import { Group } from './group.js';
import { defaultTimeoutMs, withDeadline } from './timeout.js';

export const BACKENDS = ['any', 'ring', 'mpi', 'nccl', 'jaccl'] as const;
export type Backend = (typeof BACKENDS)[number];

export { DistributedError };

export interface InitOptions {
  /** Throw when no backend can be initialised (default false: a group of one, where collectives are no-ops). */
  strict?: boolean;
  /** Which backend to use (default 'any': the first that initialises). */
  backend?: Backend;
  /** Deadline for joining the group in ms (default MLX_TRAIN_DIST_TIMEOUT_MS or 120 s; 0: none). */
  timeoutMs?: number;
}

const INIT_KEYS = new Set(['strict', 'backend', 'timeoutMs']);
let defaultGroup: Group | null = null;

function checkBackend(backend: unknown): Backend {
  if (typeof backend !== 'string' || !(BACKENDS as readonly string[]).includes(backend)) {
    throw new TypeError(`expected one of ${BACKENDS.join(', ')} for backend but received ${JSON.stringify(backend)}`);
  }
  return backend as Backend;
}

/** Whether MLX can use `backend` (any backend when omitted). */
export function isAvailable(backend?: Backend): boolean {
  return backend === undefined ? native.distributedIsAvailable() : native.distributedIsAvailable(checkBackend(backend));
}

/**
 * Checks the ring backend's environment before MLX reads it, so a mistake gets an error naming the
 * variable and the file instead of MLX's generic one (or a JSON parse failure deep in libmlx).
 */
export function checkRingEnvironment(env: NodeJS.ProcessEnv = process.env): { rank: number; size: number } {
  const rank = env.MLX_RANK;
  const hostfile = env.MLX_HOSTFILE;
  if (rank === undefined || hostfile === undefined) {
    throw new DistributedError(
      `the ring backend needs MLX_RANK and MLX_HOSTFILE in the environment (MLX_RANK=${rank ?? '<unset>'}, MLX_HOSTFILE=${hostfile ?? '<unset>'}); start the processes with \`mlx-train launch\``,
    );
  }
  if (!/^\d+$/.test(rank)) throw new DistributedError(`MLX_RANK must be a non-negative integer but is '${rank}'`);
  if (!existsSync(hostfile)) throw new DistributedError(`MLX_HOSTFILE names ${hostfile}, which does not exist`);
  let hosts: unknown;
  try {
    hosts = JSON.parse(readFileSync(hostfile, 'utf8'));
  } catch (err) {
    throw new DistributedError(`MLX_HOSTFILE ${hostfile} is not valid JSON: ${(err as Error).message}`);
  }
  const ok = Array.isArray(hosts) && hosts.length > 0 && hosts.every((h) => Array.isArray(h) && h.length > 0 && h.every((a) => typeof a === 'string' && /^.+:\d+$/.test(a)));
  if (!ok) throw new DistributedError(`MLX_HOSTFILE ${hostfile} must be a JSON list with one list of "ip:port" strings per rank, e.g. [["127.0.0.1:5000"],["127.0.0.1:5001"]]`);
  const size = (hosts as string[][]).length;
  if (Number(rank) >= size) throw new DistributedError(`MLX_RANK=${rank} but MLX_HOSTFILE ${hostfile} lists only ${size} ranks`);
  return { rank: Number(rank), size };
}

/**
 * Initialises the distributed backend and returns the group of all processes (MLX's `distributed.init`).
 * The first successful call also sets the default group used when an op gets no group.
 */
export function init(options: InitOptions = {}): Group {
  for (const k of Object.keys(options)) if (!INIT_KEYS.has(k)) throw new TypeError(`distributed.init: unknown option '${k}' (expected ${[...INIT_KEYS].join(', ')})`);
  const strict = options.strict ?? false;
  if (typeof strict !== 'boolean') throw new TypeError(`expected a boolean for strict but received ${String(strict)}`);
  const backend = checkBackend(options.backend ?? 'any');
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs();
  if (backend === 'ring' && strict) checkRingEnvironment();
  if (backend !== 'any' && strict && !native.distributedIsAvailable(backend)) {
    throw new DistributedError(`the ${backend} backend is not available in this libmlx build (its libraries are missing)`);
  }
  const error = new DistributedError('');
  let handle;
  try {
    handle = withDeadline(`init (backend ${backend})`, timeoutMs, () => native.distributedInit(strict, backend));
  } catch (err) {
    error.message = `distributed.init (backend ${backend}) failed: ${(err as Error).message}`;
    throw error;
  }
  const group = new Group(handle);
  defaultGroup ??= group;
  return group;
}

/**
 * The process's default group. On first use it joins the world `mlx-train launch` set up (ring backend,
 * from MLX_RANK/MLX_HOSTFILE), or becomes a group of one when the process was started alone.
 */
export function getDefaultGroup(): Group {
  if (defaultGroup) return defaultGroup;
  const launched = process.env.MLX_RANK !== undefined && process.env.MLX_HOSTFILE !== undefined;
  return init(launched ? { strict: true, backend: 'ring' } : { strict: false, backend: 'any' });
}

/** Whether a group has been initialised in this process (nothing is joined by asking). */
export function isInitialized(): boolean {
  return defaultGroup !== null;
}

/** Number of processes in the default group (1 for a process started alone). */
export function worldSize(): number {
  return getDefaultGroup().size();
}

/** This process's rank in the default group (0 for a process started alone). */
export function rank(): number {
  return getDefaultGroup().rank();
}

/** True on rank 0, the process that logs, tracks and writes checkpoints. */
export function isMainProcess(): boolean {
  return rank() === 0;
}
