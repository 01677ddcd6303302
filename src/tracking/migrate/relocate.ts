/**
 * Finds a run's artifact folder after its store was moved. MLflow writes absolute artifact URIs, so a
 * store copied to another machine or folder points at paths that no longer exist; the files are usually
 * still beside the store under the same trailing path (`…/<experiment>/<run id>/artifacts`).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The local path a `file:` URI or plain path names; null for a remote URI (s3://, dbfs:/, mlflow-artifacts:/…). */
export function localPathOf(uri: string): string | null {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri.startsWith('file://') ? uri : uri.replace(/^file:/, 'file://'));
    } catch {
      return null;
    }
  }
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri)) return null;
  return uri;
}

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();

/**
 * The run's artifact folder: the URI's own path when it exists, otherwise the longest trailing part of it
 * that exists under one of `bases` and still contains the run id (so a bare `artifacts/` never matches
 * another run's folder). Null when nothing is found or the URI is remote.
 */
export function locateArtifactDir(artifactUri: string | null, runId: string, bases: string[]): string | null {
  if (!artifactUri) return null;
  const path = localPathOf(artifactUri);
  if (path === null) return null;
  if (isDir(path)) return path;
  const parts = path.split(/[\\/]+/).filter(Boolean);
  const runIndex = parts.lastIndexOf(runId);
  if (runIndex < 0) return null;
  for (let start = 0; start <= runIndex; start++) {
    for (const base of bases) {
      const candidate = join(base, ...parts.slice(start));
      if (isDir(candidate)) return candidate;
    }
  }
  return null;
}
