/**
 * Backups taken before anything is written. A SQLite file is copied with SQLite's online backup from a
 * read-only connection, so the copy is consistent even while another process writes to it; a file store
 * is copied file by file. Every copy is checked against its original by SHA-256 (SQLite backups by
 * `PRAGMA integrity_check` and row counts instead: an online backup is page-identical but may differ in
 * header bytes). A manifest.json in the backup folder lists what was copied and from where.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { MigrateError } from '../../errors.js';
import { listFilesRecursive, sha256File } from './copy-artifacts.js';
import { openSourceDatabase } from './read-sqlite.js';
import type { SourceRef } from './types.js';

export interface BackupEntry {
  kind: 'sqlite' | 'file' | 'target';
  original: string;
  copy: string;
  /** SHA-256 of each copied file (relative path → digest); for SQLite, of the backup file. */
  sha256: Record<string, string>;
}

function rowCounts(db: Database.Database): Record<string, number> {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map(
    (t) => t.name,
  );
  return Object.fromEntries(tables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM "${t}"`).get() as { n: number }).n]));
}

/** Consistent copy of a SQLite database that may be open elsewhere; checked before it is trusted. */
export async function backupSqlite(path: string, dest: string): Promise<Record<string, string>> {
  mkdirSync(dirname(dest), { recursive: true });
  const source = openSourceDatabase(path);
  let expected: Record<string, number>;
  try {
    await source.backup(dest);
    expected = source.transaction(() => rowCounts(source))();
  } finally {
    source.close();
  }
  const copy = new Database(dest, { readonly: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new MigrateError(`backup ${dest} failed its integrity check: ${check}`, 'MIGRATE_BACKUP');
    const got = rowCounts(copy);
    for (const [table, n] of Object.entries(expected)) {
      // A writer may add rows between the backup and the count; fewer rows than the source had is a bad copy.
      if ((got[table] ?? -1) < n) {
        throw new MigrateError(`backup ${dest}: table ${table} has ${got[table]} rows, source had ${n}`, 'MIGRATE_BACKUP');
      }
    }
  } finally {
    copy.close();
  }
  return { [basename(dest)]: sha256File(dest) };
}

/** Copies a file store folder, verifying each file's SHA-256 against the original. */
export function backupFolder(root: string, dest: string): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const rel of listFilesRecursive(root)) {
    const src = join(root, ...rel.split('/'));
    const dst = join(dest, ...rel.split('/'));
    mkdirSync(dirname(dst), { recursive: true });
    copyFileSync(src, dst);
    const a = sha256File(src);
    const b = sha256File(dst);
    if (a !== b) throw new MigrateError(`backup of ${src} does not match its original (sha256 ${b} vs ${a})`, 'MIGRATE_BACKUP');
    sums[rel] = a;
  }
  return sums;
}

/** A folder name per source that stays unique and readable: `03-mlflow.db`. */
export function backupName(index: number, ref: SourceRef): string {
  return `${String(index + 1).padStart(2, '0')}-${basename(ref.path).replace(/[^A-Za-z0-9._-]/g, '_') || 'store'}`;
}

export function writeManifest(dir: string, entries: BackupEntry[], extra: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify({ ...extra, entries }, null, 1)}\n`);
}
