/**
 * Run artifacts on the local filesystem, laid out as MLflow's LocalArtifactRepository does:
 * `<artifact_uri>/<artifact path>/<file>`, where artifact_uri is `<experiment location>/<run id>/artifacts`.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, posix, resolve, sep } from 'node:path';
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

export function logArtifact(artifactUri: string, localPath: string, artifactPath?: string): void {
  if (!existsSync(localPath) || !statSync(localPath).isFile()) throw notFound(`logArtifact: local file '${localPath}' does not exist or is not a file`);
  const dest = join(localArtifactDir(artifactUri), safeRelative(artifactPath, 'artifact path'));
  mkdirSync(dest, { recursive: true });
  cpSync(localPath, join(dest, basename(localPath)));
}

export function logArtifacts(artifactUri: string, localDir: string, artifactPath?: string): void {
  if (!existsSync(localDir) || !statSync(localDir).isDirectory()) throw notFound(`logArtifacts: local directory '${localDir}' does not exist`);
  const dest = join(localArtifactDir(artifactUri), safeRelative(artifactPath, 'artifact path'));
  mkdirSync(dest, { recursive: true });
  cpSync(localDir, dest, { recursive: true });
}

export function listArtifacts(artifactUri: string, path?: string): FileInfo[] {
  const rel = safeRelative(path, 'artifact path');
  const dir = join(localArtifactDir(artifactUri), rel);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { withFileTypes: true })
    .map((entry) => {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const full = join(dir, entry.name);
      const isDir = statSync(full).isDirectory();
      return isDir ? { path: relPath, isDir } : { path: relPath, isDir, fileSize: statSync(full).size };
    })
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function downloadArtifacts(artifactUri: string, path: string, dstPath?: string): string {
  const rel = safeRelative(path, 'artifact path');
  const source = join(localArtifactDir(artifactUri), rel);
  if (!existsSync(source)) throw notFound(`Artifact '${path}' not found under ${artifactUri}`);
  const dstRoot = dstPath ?? mkdtempSync(join(tmpdir(), 'mlxt-artifacts-'));
  const target = join(dstRoot, rel || basename(source));
  mkdirSync(resolve(target, '..'), { recursive: true });
  cpSync(source, target, { recursive: true });
  return resolve(target);
}
