/**
 * Finds the stores to migrate. A path may be a SQLite file (or `sqlite:///` URI), a file store root, or a
 * folder to scan. Stores are recognised by content, never by file name: a SQLite file whose tables are
 * MLflow's (experiments, runs, alembic_version), a folder whose sub-folders carry an experiment meta.yaml.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { isFileStoreRoot } from './read-file-store.js';
import { hasSqliteHeader } from './read-sqlite.js';
import type { SourceRef } from './types.js';

/** A path that could not become a source, with the reason. */
export interface DiscoveryProblem {
  path: string;
  reason: string;
}

export interface Discovery {
  sources: SourceRef[];
  problems: DiscoveryProblem[];
  /** SQLite files seen in a scan that are not MLflow stores (not an error: just not ours). */
  ignored: string[];
}

/** Folders a scan never enters: tooling, environments, and anything the caller excludes (target, backups). */
const SKIP_DIRS = new Set(['node_modules', '.git', '__pycache__', '.hg', '.svn']);

export function pathFromSourceArg(arg: string): string {
  if (arg.startsWith('sqlite:')) {
    const m = /^sqlite:\/\/\/(.*)$/.exec(arg);
    return resolve(decodeURIComponent(m ? m[1] : arg.slice(7)));
  }
  if (arg.startsWith('file://')) return resolve(decodeURIComponent(arg.slice(7)));
  return resolve(arg);
}

/** True for a SQLite file with MLflow's tables (read-only peek). */
export function isMlflowSqlite(path: string): boolean {
  if (!hasSqliteHeader(path)) return false;
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const names = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return names.has('experiments') && names.has('runs') && (names.has('alembic_version') || names.has('metrics'));
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
};

export function discoverSources(args: string[], exclude: string[] = []): Discovery {
  const out: Discovery = { sources: [], problems: [], ignored: [] };
  const excluded = new Set(exclude.map(real));
  const seen = new Set<string>();
  const add = (ref: SourceRef): void => {
    const key = real(ref.path);
    if (seen.has(key) || excluded.has(key)) return;
    seen.add(key);
    out.sources.push({ ...ref, path: resolve(ref.path) });
  };

  const scan = (dir: string): void => {
    if (excluded.has(real(dir))) return;
    if (isFileStoreRoot(dir)) {
      add({ kind: 'file', path: dir });
      return;
    }
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      out.problems.push({ path: dir, reason: `folder cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.venv')) scan(full);
      } else if (entry.isFile() && !excluded.has(real(full)) && hasSqliteHeader(full)) {
        if (isMlflowSqlite(full)) add({ kind: 'sqlite', path: full });
        else out.ignored.push(full);
      }
    }
  };

  for (const arg of args) {
    const path = pathFromSourceArg(arg);
    if (!existsSync(path)) {
      out.problems.push({ path, reason: 'does not exist' });
      continue;
    }
    if (excluded.has(real(path))) {
      out.problems.push({ path, reason: 'is the migration target (or its backup folder) and cannot also be a source' });
      continue;
    }
    const stat = statSync(path);
    if (stat.isFile()) {
      // Named explicitly: always try it, so a corrupt or foreign file is reported with its reason.
      add({ kind: 'sqlite', path });
    } else if (stat.isDirectory()) {
      if (isFileStoreRoot(path)) add({ kind: 'file', path });
      else {
        const before = out.sources.length + out.problems.length;
        scan(path);
        if (out.sources.length + out.problems.length === before) out.problems.push({ path, reason: 'no MLflow store found in this folder' });
      }
    } else {
      out.problems.push({ path, reason: 'is neither a file nor a folder' });
    }
  }
  return out;
}
