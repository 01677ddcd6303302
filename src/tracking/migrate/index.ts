/**
 * `migrate()`: moves scattered MLflow stores (SQLite files of any schema revision, file stores) into one
 * central SQLite database, safely: sources are only read, every source and the target are backed up
 * first, each source is merged in one transaction (a bad source is reported and rolled back, the others
 * go on), and the result is verified against the sources. Running it again adds nothing.
 * The CLI (`mlx-train migrate`) is a thin wrapper: see MigrateOptions and formatMigrateReport.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../errors.js';
import { resolveLocalRoot } from '../sqlite/artifacts.js';
import { MLFLOW_SCHEMA_REVISION, MLFLOW_VERSION } from '../sqlite/mlflow-schema.js';
import { TrackingStore } from '../sqlite/store.js';
import { type BackupEntry, backupFolder, backupName, backupSqlite, writeManifest } from './backup.js';
import { CreatedFiles, listFilesRecursive } from './copy-artifacts.js';
import { discoverSources, pathFromSourceArg } from './discover.js';
import { emptyMergeOutcome, mergeSnapshot } from './merge.js';
import { localPathOf } from './relocate.js';
import { readFileStore } from './read-file-store.js';
import { hasSqliteHeader, isSourceError, readSqliteStore } from './read-sqlite.js';
import { emptyCounts, type MigrateOptions, type MigrateReport, type Snapshot, type SourceCounts, type SourceReport } from './types.js';
import { verifySnapshot } from './verify.js';

export * from './types.js';
export { formatMigrateReport } from './format.js';
export { discoverSources, type Discovery } from './discover.js';
export { readSqliteStore } from './read-sqlite.js';
export { readFileStore } from './read-file-store.js';

export const DEFAULT_MIGRATE_TARGET = 'mlruns/mlflow.db';

function countSnapshot(s: Snapshot): SourceCounts {
  const c = emptyCounts();
  c.experiments = s.experiments.length;
  c.runs = s.runs.length;
  for (const r of s.runs) {
    c.params += r.params.length;
    c.tags += r.tags.length;
    c.metricRows += r.metrics.length;
  }
  c.tags += s.experiments.reduce((n, e) => n + e.tags.length, 0);
  for (const m of s.registeredModels) c.tags += m.tags.length + m.versions.reduce((n, v) => n + v.tags.length, 0);
  c.datasets = s.datasets.length;
  c.inputs = s.inputs.length;
  c.registeredModels = s.registeredModels.length;
  c.modelVersions = s.registeredModels.reduce((n, m) => n + m.versions.length, 0);
  c.artifactFiles = s.runs.reduce((n, r) => n + (r.artifactDir ? listFilesRecursive(r.artifactDir).length : 0), 0);
  return c;
}

function failedReport(source: string, kind: SourceReport['kind'], error: string): SourceReport {
  return { source, kind, status: 'failed', error, found: emptyCounts(), ...emptyMergeOutcome() };
}

/** Never reuse a backup folder: a second run in the same second gets `-2`, so no backup is overwritten. */
function freshFolder(base: string): string {
  let candidate = base;
  for (let n = 2; existsSync(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

const utcStamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const hasAny = (c: SourceCounts): boolean => Object.values(c).some((n) => n > 0);

/**
 * An existing target must be an MLflow store at the pinned head revision; checked read-only before
 * anything (backup, WAL switch) touches it. Returns the open read-only connection.
 */
function openExistingTarget(targetPath: string): Database.Database {
  const refuse = (problem: string): StoreError =>
    new StoreError(`${targetPath}: the target ${problem}; it was left untouched`, 'STORE_SCHEMA_MISMATCH');
  if (statSync(targetPath).isDirectory()) throw refuse('is a folder, not a SQLite file');
  if (!hasSqliteHeader(targetPath)) throw refuse('is not a SQLite database');
  const disk = new Database(targetPath, { readonly: true, fileMustExist: true });
  try {
    let row: { version_num: string } | undefined;
    try {
      row = disk.prepare('SELECT version_num FROM alembic_version').get() as { version_num: string } | undefined;
    } catch (err) {
      throw refuse(`is not an MLflow store (${message(err)})`);
    }
    if (row?.version_num !== MLFLOW_SCHEMA_REVISION) {
      throw refuse(
        `is at schema revision ${row?.version_num ?? '(none)'}, not ${MLFLOW_SCHEMA_REVISION} (MLflow ${MLFLOW_VERSION}); migrate it as a source into a new target instead`,
      );
    }
    return disk;
  } catch (err) {
    disk.close();
    throw err;
  }
}

const targetExists = (path: string): boolean => existsSync(path) && statSync(path).size > 0;

/** The target copied into memory, so a dry run can merge for real and throw the result away. */
function inMemoryTarget(targetPath: string, artifactRoot: string): { db: Database.Database; close: () => void } {
  if (!targetExists(targetPath)) {
    const store = new TrackingStore('sqlite://', { artifactRoot });
    return { db: store.database, close: () => void store.close() };
  }
  const disk = openExistingTarget(targetPath);
  try {
    const image = disk.serialize();
    // Bytes 18-19 of the header say "WAL mode" (2) for a store in WAL; an in-memory copy cannot be in WAL
    // and SQLite refuses it, so mark the copy as a rollback-journal database (1).
    image[18] = 1;
    image[19] = 1;
    const db = new Database(image);
    db.pragma('foreign_keys = ON');
    return { db, close: () => db.close() };
  } finally {
    disk.close();
  }
}

/**
 * Migrates `options.sources` into `options.into`. Never throws for a bad source (it is reported in the
 * result); throws a StoreError only when the target itself cannot be used.
 */
export async function migrate(options: MigrateOptions = {}): Promise<MigrateReport> {
  const progress = options.onProgress ?? (() => {});
  const targetPath = pathFromSourceArg(options.into ?? DEFAULT_MIGRATE_TARGET);
  const targetDir = dirname(targetPath);
  const artifactRoot = resolveLocalRoot(options.artifactRoot ?? join(targetDir, 'artifacts'));
  const backupsRoot = resolve(options.backupDir ?? join(targetDir, 'backups'));
  const backupDir = freshFolder(join(backupsRoot, `migrate-${utcStamp()}`));
  const artifactRootPath = localPathOf(artifactRoot);
  const dryRun = options.dryRun === true;

  const exclude = [targetPath, `${targetPath}-wal`, `${targetPath}-shm`, `${targetPath}-journal`, backupsRoot];
  if (artifactRootPath) exclude.push(artifactRootPath);
  const discovery = discoverSources(options.sources?.length ? options.sources : ['.'], exclude);
  const reports: SourceReport[] = discovery.problems.map((p) => failedReport(p.path, 'unknown', `${p.path}: ${p.reason}`));
  progress(`found ${discovery.sources.length} store(s)${discovery.problems.length ? `, ${discovery.problems.length} problem(s)` : ''}`);

  // Read every source first: a source that cannot be read is reported and never touches the target.
  const snapshots: { snapshot: Snapshot; report: SourceReport }[] = [];
  for (const ref of discovery.sources) {
    try {
      const snapshot =
        ref.kind === 'sqlite' ? readSqliteStore(ref.path) : readFileStore(ref.path, [backupsRoot, ...(artifactRootPath ? [artifactRootPath] : [])]);
      const report = failedReport(ref.path, ref.kind, '');
      delete report.error;
      report.status = dryRun ? 'planned' : 'unchanged';
      if (snapshot.schemaRevision) report.schemaRevision = snapshot.schemaRevision;
      report.found = countSnapshot(snapshot);
      report.warnings.push(...snapshot.warnings);
      if (snapshot.refusedRuns?.length) report.refused = [...snapshot.refusedRuns];
      snapshots.push({ snapshot, report });
      progress(`read ${ref.path}: ${report.found.experiments} experiments, ${report.found.runs} runs`);
    } catch (err) {
      reports.push(failedReport(ref.path, ref.kind, isSourceError(err) ? err.message : `${ref.path}: ${message(err)}`));
    }
  }

  const result: MigrateReport = { target: targetPath, dryRun, sources: reports, integrity: '', ok: false };
  const backups: BackupEntry[] = [];
  let db: Database.Database;
  let closeTarget: () => void;
  if (dryRun) {
    ({ db, close: closeTarget } = inMemoryTarget(targetPath, artifactRoot));
  } else {
    result.backupDir = backupDir;
    if (targetExists(targetPath)) {
      openExistingTarget(targetPath).close();
      const copy = join(backupDir, 'target', 'mlflow.db');
      try {
        backups.push({ kind: 'target', original: targetPath, copy, sha256: await backupSqlite(targetPath, copy) });
      } catch (err) {
        throw new StoreError(`cannot back up the target ${targetPath} (${message(err)}); nothing was migrated`, 'INTERNAL_ERROR', { cause: err });
      }
      result.targetBackup = copy;
      progress(`backed up target to ${copy}`);
    }
    // Opened only after its backup (opening switches it to WAL), and before the sources are copied, so a
    // target that cannot be used stops the run before any work.
    const store = new TrackingStore(targetPath, { artifactRoot });
    db = store.database;
    closeTarget = () => void store.close();
    for (const [i, entry] of snapshots.entries()) {
      const ref = entry.snapshot.ref;
      const dest = join(backupDir, backupName(i, ref));
      try {
        const copy = ref.kind === 'sqlite' ? join(dest, 'mlflow.db') : dest;
        const sha256 = ref.kind === 'sqlite' ? await backupSqlite(ref.path, copy) : backupFolder(ref.path, dest);
        backups.push({ kind: ref.kind, original: ref.path, copy, sha256 });
        entry.report.backup = copy;
      } catch (err) {
        Object.assign(entry.report, { status: 'failed', error: `${ref.path}: backup failed, source skipped (${message(err)})` });
      }
    }
    writeManifest(backupDir, backups, { createdBy: 'mlx-train migrate', target: targetPath, time: new Date().toISOString() });
  }

  const createdArtifacts: string[] = [];
  try {
    for (const { snapshot, report } of snapshots) {
      reports.push(report);
      if (report.status === 'failed') continue; // its backup failed: never merged
      const created = new CreatedFiles();
      try {
        const merged = db.transaction(() => mergeSnapshot(snapshot, { db, artifactRoot, created, dryRun })).immediate();
        report.added = merged.added;
        report.experimentsMatched = merged.experimentsMatched;
        report.runsSkipped = merged.runsSkipped;
        report.runsCompleted = merged.runsCompleted;
        report.conflicts = merged.conflicts;
        report.warnings.push(...merged.warnings);
        if (!dryRun) report.status = hasAny(merged.added) ? 'migrated' : 'unchanged';
        report.verification = verifySnapshot(db, snapshot, dryRun ? new Map() : merged.artifactTargets);
        createdArtifacts.push(...created.files);
        progress(`${dryRun ? 'would migrate' : report.status} ${snapshot.ref.path}: +${merged.added.runs} runs, +${merged.added.metricRows} metric rows`);
      } catch (err) {
        created.undo();
        Object.assign(report, { status: 'failed', error: `${snapshot.ref.path}: ${message(err)}; nothing from this source was written`, added: emptyCounts() });
        progress(`failed ${snapshot.ref.path}: ${message(err)}`);
      }
    }
    result.integrity = String(db.pragma('integrity_check', { simple: true }));
  } finally {
    closeTarget();
  }
  if (!dryRun && createdArtifacts.length) {
    writeFileSync(join(backupDir, 'created-artifacts.txt'), `${createdArtifacts.join('\n')}\n`);
  }
  result.sources = reports;
  // A refused run is data left behind: the migration is not ok even though the rest of its source is in.
  result.ok = result.integrity === 'ok' && reports.every((r) => r.status !== 'failed' && (r.verification?.ok ?? true) && !r.refused?.length);
  return result;
}
