/**
 * Run artifacts on the local filesystem, laid out as MLflow's LocalArtifactRepository does:
 * `<artifact_uri>/<artifact path>/<file>`, where artifact_uri is `<experiment location>/<run id>/artifacts`.
 */
import { copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, posix, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalidParameter, notFound } from '../errors.js';
import type { FileInfo } from '../types.js';

/** A run's artifact URI (plain path or file:// URI) as a local directory. */
export function localArtifactDir(artifactUri: string): string {
  if (artifactUri.startsWith('file:')) return fileURLToPath(artifactUri.startsWith('file:///') ? artifactUri : artifactUri.replace(/^file:/, 'file://'));
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(artifactUri) && !/^[a-zA-Z]:[\\/]/.test(artifactUri)) {
    throw invalidParameter(
      `artifact location '${artifactUri}' is not on the local filesystem; the SQLite store only handles local artifacts (use an http(s):// tracking URI for a server's artifact store)`,
    );
  }
  return resolve(artifactUri);
}

/** Makes a local root absolute the way MLflow's resolve_uri_if_local does (plain absolute POSIX path). */
export function resolveLocalRoot(root: string): string {
  if (root.startsWith('file:')) return pathToFileURL(localArtifactDir(root)).href;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(root)) return root;
  return resolve(root);
}

/** MLflow's append_to_uri_path: a `/` join that keeps a URI scheme intact. */
export function appendToUri(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts].join('/');
}

/** A relative artifact path that stays inside the run's artifact directory. */
function safeRelative(path: string | undefined, what: string): string {
  if (path === undefined || path === '' || path === '.') return '';
  if (typeof path !== 'string') throw invalidParameter(`${what} must be a string, got ${typeof path}`);
  const norm = posix.normalize(path.split(sep).join('/'));
  if (isAbsolute(path) || norm.startsWith('../') || norm === '..' || norm.startsWith('/')) {
    throw invalidParameter(`Invalid ${what} '${path}': it must be a relative path inside the run's artifacts`);
  }
  return norm.replace(/\/+$/, '');
}

/** The real path of `path`, or of its deepest existing ancestor with the missing part appended. */
function realPathOf(path: string): string {
  const missing: string[] = [];
  let p = resolve(path);
  while (!existsSync(p)) {
    const parent = dirname(p);
    if (parent === p) break;
    missing.unshift(basename(p));
    p = parent;
  }
  return join(realpathSync(p), ...missing);
}

/** `target`'s and `root`'s real paths (links resolved, a missing tail kept) and whether the first lies under the second. */
export function realPathUnder(root: string, target: string): { root: string; real: string; inside: boolean } {
  const realRoot = realPathOf(root);
  const real = realPathOf(target);
  return { root: realRoot, real, inside: real === realRoot || real.startsWith(realRoot + sep) };
}

/**
 * `target` inside the run's artifact directory once every symbolic link on the way is resolved: a link
 * left in the artifact folder (by hand, or by an older version) must not let a write or a listing escape.
 */
function checkInside(artifactDir: string, target: string, what: string): void {
  const { root, real, inside } = realPathUnder(artifactDir, target);
  if (!inside) {
    throw invalidParameter(`${what} '${target}' resolves to ${real}, outside the run's artifact directory ${root} (through a symbolic link)`);
  }
}

export function logArtifact(artifactUri: string, localPath: string, artifactPath?: string): void {
  if (!existsSync(localPath) || !statSync(localPath).isFile()) throw notFound(`logArtifact: local file '${localPath}' does not exist or is not a file`);
  const root = localArtifactDir(artifactUri);
  const dest = join(root, safeRelative(artifactPath, 'artifact path'));
  checkInside(root, join(dest, basename(localPath)), 'artifact path');
  mkdirSync(dest, { recursive: true });
  // copyFileSync copies the bytes a link points at; cpSync would recreate the link itself.
  copyFileSync(localPath, join(dest, basename(localPath)));
}

/**
 * Copies a folder's regular files; a symbolic link is replaced by a copy of what it points at (a file,
 * or a folder copied the same way), never kept as a link. A broken link, a link to something that is
 * neither a file nor a folder, or a link cycle is refused before anything is copied.
 */
export function logArtifacts(artifactUri: string, localDir: string, artifactPath?: string): void {
  if (!existsSync(localDir) || !statSync(localDir).isDirectory()) throw notFound(`logArtifacts: local directory '${localDir}' does not exist`);
  const root = localArtifactDir(artifactUri);
  const dest = join(root, safeRelative(artifactPath, 'artifact path'));
  checkInside(root, dest, 'artifact path');
  const plan: [string, string][] = [];
  const walk = (dir: string, to: string, seen: Set<string>): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const from = join(dir, entry.name);
      let stat = lstatSync(from);
      if (stat.isSymbolicLink()) {
        try {
          stat = statSync(from);
        } catch (err) {
          throw invalidParameter(`logArtifacts: '${from}' is a symbolic link whose target cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); nothing was logged`);
        }
      }
      if (stat.isDirectory()) {
        const real = realpathSync(from);
        if (seen.has(real)) throw invalidParameter(`logArtifacts: '${from}' links back to a folder being copied (a cycle); nothing was logged`);
        walk(from, join(to, entry.name), new Set([...seen, real]));
      } else if (stat.isFile()) {
        plan.push([from, join(to, entry.name)]);
      } else {
        throw invalidParameter(`logArtifacts: '${from}' is neither a regular file nor a folder; nothing was logged`);
      }
    }
  };
  walk(localDir, dest, new Set([realpathSync(localDir)]));
  mkdirSync(dest, { recursive: true });
  for (const [from, to] of plan) {
    checkInside(root, to, 'artifact');
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}

export function listArtifacts(artifactUri: string, path?: string): FileInfo[] {
  const rel = safeRelative(path, 'artifact path');
  const root = localArtifactDir(artifactUri);
  const dir = join(root, rel);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  checkInside(root, dir, 'artifact path');
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      // A link is listed as what it is inside the store (a file entry of its own size), never followed.
      const stat = lstatSync(full);
      const isDir = stat.isDirectory();
      return isDir ? { path: relPath, isDir } : { path: relPath, isDir, fileSize: stat.size };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function downloadArtifacts(artifactUri: string, path: string, dstPath?: string): string {
  const rel = safeRelative(path, 'artifact path');
  const root = localArtifactDir(artifactUri);
  const source = join(root, rel);
  if (!existsSync(source)) throw notFound(`Artifact '${path}' not found under ${artifactUri}`);
  checkInside(root, source, 'artifact path');
  const dstRoot = dstPath ?? mkdtempSync(join(tmpdir(), 'mlxt-artifacts-'));
  const target = join(dstRoot, rel || basename(source));
  mkdirSync(resolve(target, '..'), { recursive: true });
  cpSync(source, target, { recursive: true });
  return resolve(target);
}
