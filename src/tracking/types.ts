/**
 * The tracking store contract. Two backends implement it — `SqliteStore` (a local file in MLflow's own
 * SQLite schema) and `RestStore` (an MLflow tracking server over HTTP) — so callers can swap one for the
 * other by URI alone. Method names follow `mlflow.MlflowClient` in camelCase; entities follow MLflow's
 * entities in camelCase, with tag/param/metric lists turned into records (as `Run.data` does in Python).
 * Every method returns a Promise so the HTTP backend fits the same shape.
 */

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type LifecycleStage = 'active' | 'deleted';
/** Which lifecycle stages a search returns (MLflow's `ViewType`). Default `ACTIVE_ONLY`. */
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';
/** Values accepted for params; stored as text the way Python's `str()` would print them. */
export type ParamValue = string | number | boolean;

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  tags: Record<string, string>;
  /** Unix epoch milliseconds. */
  creationTime: number;
  lastUpdateTime: number;
}

export interface RunInfo {
  runId: string;
  runName: string;
  experimentId: string;
  userId: string;
  status: RunStatus;
  /** Unix epoch milliseconds. */
  startTime: number;
  /** Unix epoch milliseconds; null while the run has not ended. */
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

export interface RunData {
  /** Latest value per key (MLflow's rule: highest step, then timestamp, then value). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
}

export interface Dataset {
  name: string;
  digest: string;
  /** e.g. `local`, `http`, `hf`, `code`. */
  sourceType: string;
  /** JSON text describing where the data came from, e.g. `{"uri": "file:///data/train.csv"}`. */
  source: string;
  /** JSON text, e.g. `{"mlflow_colspec": [...]}`. */
  schema?: string;
  /** JSON text with summary statistics, e.g. `{"num_rows": 100}`. */
  profile?: string;
}

export interface InputTag {
  key: string;
  value: string;
}

export interface DatasetInput {
  dataset: Dataset;
  /** e.g. `[{key: 'mlflow.data.context', value: 'training'}]`. */
  tags: InputTag[];
}

export interface RunInputs {
  datasetInputs: DatasetInput[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: RunInputs;
}

export interface Metric {
  key: string;
  /** NaN and ±Infinity are allowed (stored as MLflow stores them). */
  value: number;
  /** Unix epoch milliseconds. */
  timestamp: number;
  step: number;
}

/** A metric to log: timestamp defaults to now, step to 0. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

export interface Param {
  key: string;
  value: ParamValue;
}

export interface RunTag {
  key: string;
  value: string;
}

export interface FileInfo {
  /** Path relative to the run's artifact root, `/`-separated. */
  path: string;
  isDir: boolean;
  /** Bytes; absent for directories. */
  fileSize?: number;
}

export interface ModelVersion {
  name: string;
  /** MLflow exposes versions as strings ("1", "2", …). */
  version: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string;
  userId: string;
  currentStage: string;
  source: string;
  runId: string | null;
  status: string;
  statusMessage: string | null;
  runLink: string | null;
  tags: Record<string, string>;
  /** Aliases pointing at this version (left empty inside `RegisteredModel.latestVersions`, as MLflow does). */
  aliases: string[];
}

export interface RegisteredModel {
  name: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  description: string;
  /** Newest version per stage, as MLflow reports it. */
  latestVersions: ModelVersion[];
  tags: Record<string, string>;
  /** alias → version. */
  aliases: Record<string, string>;
}

/** One page of results; pass `nextPageToken` back as `pageToken` for the next page. */
export interface Page {
  nextPageToken?: string;
}

export interface SearchExperimentsOptions {
  viewType?: ViewType;
  maxResults?: number;
  /** MLflow filter syntax, e.g. `name LIKE 'bert-%' AND tags.team = 'nlp'`. */
  filterString?: string;
  /** e.g. `['name ASC', 'creation_time DESC']`. */
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchRunsOptions {
  /** MLflow filter syntax, e.g. ``metrics.`val loss` < 0.3 AND params.lr = '0.001'``. */
  filterString?: string;
  runViewType?: ViewType;
  /** Default 1000 (MLflow's default); at most 50000. */
  maxResults?: number;
  /** e.g. `['metrics.accuracy DESC', 'attributes.start_time ASC']`. */
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchRegisteredModelsOptions {
  /** e.g. `name LIKE 'bert%'`. */
  filterString?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export interface CreateExperimentOptions {
  artifactLocation?: string;
  tags?: Record<string, string>;
}

export interface CreateRunOptions {
  /** Unix epoch milliseconds; default now. */
  startTime?: number;
  tags?: Record<string, string>;
  /** Default: tag `mlflow.runName` if given, else a generated "adjective-noun-123" name. */
  runName?: string;
  /** Default: tag `mlflow.user` if given, else the OS user. */
  userId?: string;
  /** Makes this a nested run: sets tag `mlflow.parentRunId` (the parent must exist). */
  parentRunId?: string;
  /** Markdown shown in the MLflow UI: sets tag `mlflow.note.content`. */
  description?: string;
}

export interface UpdateRunOptions {
  status?: RunStatus;
  /** New run name (also updates the `mlflow.runName` tag). */
  name?: string;
  endTime?: number;
}

export interface LogBatchInput {
  metrics?: MetricInput[];
  params?: Param[];
  tags?: RunTag[];
}

export interface CreateRegisteredModelOptions {
  tags?: Record<string, string>;
  description?: string;
}

export interface CreateModelVersionOptions {
  runId?: string;
  tags?: Record<string, string>;
  runLink?: string;
  description?: string;
}

/** What both backends implement. */
export interface TrackingClient {
  /** The URI this store was opened with (`sqlite:///…` or `http(s)://…`). */
  readonly trackingUri: string;

  // Experiments
  createExperiment(name: string, options?: CreateExperimentOptions): Promise<string>;
  /** Throws StoreError `RESOURCE_DOES_NOT_EXIST` when absent. */
  getExperiment(experimentId: string): Promise<Experiment>;
  /** null when absent (as MlflowClient returns None). */
  getExperimentByName(name: string): Promise<Experiment | null>;
  searchExperiments(options?: SearchExperimentsOptions): Promise<Page & { experiments: Experiment[] }>;
  renameExperiment(experimentId: string, newName: string): Promise<void>;
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  deleteExperiment(experimentId: string): Promise<void>;
  restoreExperiment(experimentId: string): Promise<void>;

  // Runs
  createRun(experimentId: string, options?: CreateRunOptions): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  updateRun(runId: string, options: UpdateRunOptions): Promise<void>;
  /** Default status FINISHED, default end time now. */
  setTerminated(runId: string, status?: RunStatus, endTime?: number): Promise<void>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;

  // Logging
  logParam(runId: string, key: string, value: ParamValue): Promise<void>;
  logMetric(runId: string, key: string, value: number, options?: { timestamp?: number; step?: number }): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  deleteTag(runId: string, key: string): Promise<void>;
  /** All or nothing: validated first, then written in one transaction. */
  logBatch(runId: string, batch: LogBatchInput): Promise<void>;
  /** Every logged point of one metric, ordered by timestamp, then step, then value (as MLflow does). */
  getMetricHistory(runId: string, key: string): Promise<Metric[]>;
  searchRuns(experimentIds: string[], options?: SearchRunsOptions): Promise<Page & { runs: Run[] }>;

  // Artifacts and inputs
  /** Copies one local file into the run's artifacts (under `artifactPath` if given). */
  logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void>;
  /** Copies the contents of a local directory into the run's artifacts. */
  logArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void>;
  /** Direct children of `path` (default: the artifact root). */
  listArtifacts(runId: string, path?: string): Promise<FileInfo[]>;
  /** Copies an artifact file or directory to `dstPath` (default: a new temp dir); returns the local path. */
  downloadArtifacts(runId: string, path: string, dstPath?: string): Promise<string>;
  logInputs(runId: string, datasets: DatasetInput[]): Promise<void>;

  // Model registry
  createRegisteredModel(name: string, options?: CreateRegisteredModelOptions): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  searchRegisteredModels(options?: SearchRegisteredModelsOptions): Promise<Page & { registeredModels: RegisteredModel[] }>;
  deleteRegisteredModel(name: string): Promise<void>;
  /** `source` is usually `runs:/<runId>/<path>` or the artifact URI of the model files. */
  createModelVersion(name: string, source: string, options?: CreateModelVersionOptions): Promise<ModelVersion>;
  getModelVersion(name: string, version: string): Promise<ModelVersion>;
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void>;
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void>;
  getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion>;
  deleteRegisteredModelAlias(name: string, alias: string): Promise<void>;

  /** Releases the database handle / HTTP agent. Safe to call twice. */
  close(): Promise<void>;
}
