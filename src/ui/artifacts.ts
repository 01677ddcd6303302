/**
 * Reading one run's artifacts for the browser, confined to that run's artifact root: the requested path
 * must be relative with no `..` segment, and its real path (symlinks resolved) must still lie under the
 * root's real path, so neither `../` nor a symlink planted in the artifacts can reach other files.
 */
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { UiError } from '../errors.js';
import { localArtifactDir, realPathUnder } from '../tracking/sqlite/artifacts.js';
import type { FileInfo, Run, TrackingClient } from '../tracking/index.js';

/** Content types the dashboard shows inline; anything else is sent as a download. */
const INLINE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.yml': 'text/plain; charset=utf-8',
  '.json': 'text/plain; charset=utf-8',
  '.csv': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export function artifactContentType(path: string): { type: string; inline: boolean } {
  const type = INLINE_TYPES[extname(path).toLowerCase()];
  return type ? { type, inline: true } : { type: 'application/octet-stream', inline: false };
}

/** Rejects absolute paths, `..` segments, backslashes and NUL before anything touches the disk. */
export function checkArtifactPath(path: string): string {
  if (typeof path !== 'string' || path === '') throw new UiError('artifact path: expected a relative path but received nothing', 400);
  const parts = path.split('/');
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0') || parts.some((p) => p === '..' || p === '.')) {
    throw new UiError(`artifact path '${path}': expected a relative path inside the run's artifacts (no '..', '.', '\\' or leading '/')`, 400, 'UI_PATH_OUTSIDE_ROOT');
  }
  return parts.filter(Boolean).join('/');
}

/** The run's artifact directory when it is on this machine; null for a server's artifact store. */
function localRoot(run: Run): string | null {
  try {
    return localArtifactDir(run.info.artifactUri);
  } catch {
    return null;
  }
}

/** `full`'s real path if it lies under `root`'s real path; throws otherwise (symlinks out, missing). */
export function confinedRealPath(root: string, rel: string): string {
  // existsSync follows links: a missing file, a dangling link or an unreadable root is a 404.
  if (!existsSync(resolve(root, rel))) throw new UiError(`artifact '${rel}' not found`, 404, 'UI_NOT_FOUND');
  const { real, inside } = realPathUnder(root, resolve(root, rel));
  if (!inside) {
    throw new UiError(`artifact '${rel}' resolves outside the run's artifact root`, 403, 'UI_PATH_OUTSIDE_ROOT');
  }
  return real;
}

export async function listRunArtifacts(store: TrackingClient, run: Run, path: string | undefined): Promise<FileInfo[]> {
  const rel = path ? checkArtifactPath(path) : '';
  const root = localRoot(run);
  if (root && rel) confinedRealPath(root, rel);
  return store.listArtifacts(run.info.runId, rel || undefined);
}

/** The bytes of one artifact file. Local stores are read in place; a server's artifacts via a temp copy. */
export async function readRunArtifact(store: TrackingClient, run: Run, path: string): Promise<Buffer> {
  const rel = checkArtifactPath(path);
  const root = localRoot(run);
  if (root) {
    const real = confinedRealPath(root, rel);
    if (!statSync(real).isFile()) throw new UiError(`artifact '${rel}' is a directory`, 400);
    return readFileSync(real);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'mlxt-ui-'));
  try {
    const local = await store.downloadArtifacts(run.info.runId, rel, tmp);
    const real = confinedRealPath(tmp, rel);
    if (real !== realpathSync(local) || !statSync(real).isFile()) throw new UiError(`artifact '${rel}' is not a file`, 400);
    return readFileSync(real);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
