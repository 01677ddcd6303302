/**
 * What `migrate()` takes and reports, and the backend-neutral snapshot every source reader produces:
 * one shape for SQLite stores of any schema revision and for file stores, so the merge has one path.
 */

export interface MigrateOptions {
  /**
   * Stores to migrate: SQLite files, `sqlite:///` URIs, file-store folders (`mlruns/`), or folders to scan
   * for both. Default: the current directory, scanned.
   */
  sources?: string[];
  /** The central database (`sqlite:///…` URI or path). Default `mlruns/mlflow.db`. */
  into?: string;
  /** Artifact root of the central store for new experiments. Default: `artifacts` beside the database. */
  artifactRoot?: string;
  /** Plan only: read everything, run the merge against an in-memory copy of the target, write nothing. */
  dryRun?: boolean;
  /** Folder for backups; each run writes a new `migrate-<UTC time>` folder inside it. Default `<target dir>/backups`. */
  backupDir?: string;
  /** Called with one line per step (discovery, backup, each source), for a CLI's progress output. */
  onProgress?: (line: string) => void;
}

export type SourceKind = 'sqlite' | 'file';

/** A store found by discovery, before it is read. */
export interface SourceRef {
  kind: SourceKind;
  /** The SQLite file, or the file store's root folder (the one holding experiment folders). */
  path: string;
}

export interface SourceCounts {
  experiments: number;
  runs: number;
  params: number;
  tags: number;
  metricRows: number;
  datasets: number;
  inputs: number;
  registeredModels: number;
  modelVersions: number;
  artifactFiles: number;
}

export interface SourceReport {
  source: string;
  /** `unknown` for a path discovery could not classify (missing, unreadable, nothing found). */
  kind: SourceKind | 'unknown';
  /** Alembic revision of a SQLite source (`(none)` for a pre-alembic store); absent for file stores. */
  schemaRevision?: string;
  status: 'migrated' | 'unchanged' | 'planned' | 'failed';
  /** Set when `status` is `failed`: why, naming the file, run or table involved. Nothing of it was written. */
  error?: string;
  /** What the source holds. */
  found: SourceCounts;
  /** What was (or, in a dry run, would be) written to the target. */
  added: SourceCounts;
  /** Experiments merged into a target experiment of the same name. */
  experimentsMatched: string[];
  /** Runs already in the target with the same content (nothing to add). */
  runsSkipped: number;
  /** Runs already in the target that got missing params/tags/metrics/artifacts. */
  runsCompleted: number;
  /** Tag values the target kept where the source disagreed: `<entity>: <key> (target 'a', source 'b')`. */
  conflicts: string[];
  /** Things read but not carried (remote artifacts, traces, logged models, missing artifact folders). */
  warnings: string[];
  /** Runs of this source that were not migrated, each with its reason (the rest of the source was). */
  refused?: string[];
  /** Where this source's backup is (absent in a dry run or when the source failed before backup). */
  backup?: string;
  /** Source counts compared with what the target holds after the merge. */
  verification?: VerificationReport;
}

export interface VerificationReport {
  ok: boolean;
  /** Each difference: `run <id>: metric rows 10 in source, 9 in target`. */
  mismatches: string[];
}

export interface MigrateReport {
  target: string;
  dryRun: boolean;
  /** Backup of the target as it was before the run (absent when the target was new or in a dry run). */
  targetBackup?: string;
  backupDir?: string;
  sources: SourceReport[];
  /** `PRAGMA integrity_check` of the target after the run. */
  integrity: string;
  /** True when every source migrated (or was unchanged) and verified. */
  ok: boolean;
}

// ---------------------------------------------------------------- snapshot (what a reader returns)

export type Lifecycle = 'active' | 'deleted';

export interface SnapshotExperiment {
  /** Id inside the source; only used to link runs and datasets. */
  sourceId: string;
  name: string;
  workspace: string;
  artifactLocation: string | null;
  lifecycleStage: Lifecycle;
  creationTime: number | null;
  lastUpdateTime: number | null;
  tags: [string, string | null][];
}

/** One metric row in stored form: NaN is value 0 with isNan 1, ±Inf is ±DBL_MAX (as MLflow's SQL store). */
export interface SnapshotMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  isNan: 0 | 1;
}

export interface SnapshotRun {
  runId: string;
  experimentSourceId: string;
  name: string | null;
  sourceType: string | null;
  sourceName: string | null;
  entryPointName: string | null;
  userId: string | null;
  status: string | null;
  startTime: number | null;
  endTime: number | null;
  sourceVersion: string | null;
  lifecycleStage: Lifecycle;
  artifactUri: string | null;
  deletedTime: number | null;
  params: [string, string][];
  tags: [string, string | null][];
  metrics: SnapshotMetric[];
  /** The source's latest_metrics rows when it has that table; otherwise derived from `metrics`. */
  latestMetrics: SnapshotMetric[] | null;
  /** Local folder holding this run's artifacts, after relocation; null when none/remote. */
  artifactDir: string | null;
}

export interface SnapshotDataset {
  datasetUuid: string;
  experimentSourceId: string;
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

export interface SnapshotInput {
  inputUuid: string;
  sourceType: string;
  sourceId: string;
  destinationType: string;
  destinationId: string;
  step: number;
  tags: [string, string][];
}

export interface SnapshotModelVersion {
  version: number;
  creationTime: number | null;
  lastUpdatedTime: number | null;
  description: string | null;
  userId: string | null;
  currentStage: string | null;
  source: string | null;
  runId: string | null;
  status: string | null;
  statusMessage: string | null;
  runLink: string | null;
  storageLocation: string | null;
  tags: [string, string | null][];
}

export interface SnapshotRegisteredModel {
  name: string;
  workspace: string;
  creationTime: number | null;
  lastUpdatedTime: number | null;
  description: string | null;
  tags: [string, string | null][];
  versions: SnapshotModelVersion[];
  aliases: [string, number][];
}

export interface Snapshot {
  ref: SourceRef;
  schemaRevision?: string;
  experiments: SnapshotExperiment[];
  runs: SnapshotRun[];
  datasets: SnapshotDataset[];
  inputs: SnapshotInput[];
  registeredModels: SnapshotRegisteredModel[];
  warnings: string[];
  /** Runs left out of the snapshot and why (an id that is not a valid MLflow run id could name a path). */
  refusedRuns?: string[];
}

export function emptyCounts(): SourceCounts {
  return {
    experiments: 0,
    runs: 0,
    params: 0,
    tags: 0,
    metricRows: 0,
    datasets: 0,
    inputs: 0,
    registeredModels: 0,
    modelVersions: 0,
    artifactFiles: 0,
  };
}
