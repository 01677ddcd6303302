// The TrackingClient contract over an MLflow tracking server's REST API 2.0. Validation of keys, values
// and filters is the server's (it answers INVALID_PARAMETER_VALUE like the local store); here we only
// reject arguments of the wrong JS type, which JSON would otherwise silently mangle.
import { userInfo } from 'node:os';
import { invalidParameter } from '../errors.js';
import type {
  CreateExperimentOptions,
  CreateModelVersionOptions,
  CreateRegisteredModelOptions,
  CreateRunOptions,
  DatasetInput,
  Experiment,
  FileInfo,
  LogBatchInput,
  Metric,
  ModelVersion,
  Page,
  ParamValue,
  RegisteredModel,
  Run,
  RunStatus,
  SearchExperimentsOptions,
  SearchRegisteredModelsOptions,
  SearchRunsOptions,
  TrackingClient,
  UpdateRunOptions,
} from '../types.js';
import { paramValueToString } from '../values.js';
import { ArtifactClient } from './artifacts.js';
import { splitBatch } from './batch.js';
import {
  datasetInputToJson,
  doubleToJson,
  experimentFromJson,
  metricFromJson,
  modelVersionFromJson,
  recordToTags,
  registeredModelFromJson,
  runFromJson,
  runInfoFromJson,
} from './entities.js';
import { RestError } from './errors.js';
import { RestClient, optionsFromEnv, type RestClientOptions } from './http.js';

const API = '/api/2.0/mlflow';
/** MlflowClient's default page size for searches. */
const DEFAULT_MAX_RESULTS = 1000;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw invalidParameter(`expected a non-empty string for ${name} but received ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function requireNumber(value: unknown, name: string, integer = false): number {
  if (typeof value !== 'number' || (integer && !Number.isSafeInteger(value))) {
    throw invalidParameter(`expected ${integer ? 'an integer' : 'a number'} for ${name} but received ${String(value)} (${typeof value})`);
  }
  return value;
}

function metricToJson(m: { key: string; value: number; timestamp?: number; step?: number }, now: number): Json {
  requireString(m.key, 'metric key');
  return {
    key: m.key,
    value: doubleToJson(requireNumber(m.value, `metric '${m.key}' value`)),
    timestamp: requireNumber(m.timestamp ?? now, `metric '${m.key}' timestamp`, true),
    step: requireNumber(m.step ?? 0, `metric '${m.key}' step`, true),
  };
}

export class RestStore implements TrackingClient {
  readonly trackingUri: string;
  private readonly http: RestClient;
  private readonly artifacts: ArtifactClient;
  /** Artifact roots by run id: one getRun per run instead of one per upload. */
  private readonly artifactRoots = new Map<string, string>();

  constructor(trackingUri: string, options: Partial<RestClientOptions> = {}) {
    this.trackingUri = trackingUri;
    this.http = new RestClient(optionsFromEnv(trackingUri, options));
    this.artifacts = new ArtifactClient(this.http);
  }

  private get<T = Json>(endpoint: string, query: Record<string, string | number | undefined | string[]>): Promise<T> {
    return this.http.json<T>({ method: 'GET', path: `${API}/${endpoint}`, query });
  }

  private post<T = Json>(endpoint: string, body: Json, method: 'POST' | 'PATCH' | 'DELETE' = 'POST'): Promise<T> {
    return this.http.json<T>({ method, path: `${API}/${endpoint}`, json: body });
  }

  // Experiments

  async createExperiment(name: string, options: CreateExperimentOptions = {}): Promise<string> {
    const out = await this.post('experiments/create', {
      name: requireString(name, 'experiment name'),
      artifact_location: options.artifactLocation,
      tags: recordToTags(options.tags),
    });
    return String(out.experiment_id);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const out = await this.get('experiments/get', { experiment_id: requireString(experimentId, 'experiment id') });
    return experimentFromJson(out.experiment);
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    try {
      const out = await this.get('experiments/get-by-name', { experiment_name: requireString(name, 'experiment name') });
      return experimentFromJson(out.experiment);
    } catch (err) {
      if (err instanceof RestError && err.code === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  async searchExperiments(options: SearchExperimentsOptions = {}): Promise<Page & { experiments: Experiment[] }> {
    const out = await this.post('experiments/search', {
      max_results: options.maxResults ?? DEFAULT_MAX_RESULTS,
      page_token: options.pageToken,
      filter: options.filterString,
      order_by: options.orderBy,
      view_type: options.viewType,
    });
    return {
      experiments: (out.experiments ?? []).map(experimentFromJson),
      ...(out.next_page_token ? { nextPageToken: out.next_page_token } : {}),
    };
  }

  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    await this.post('experiments/update', { experiment_id: requireString(experimentId, 'experiment id'), new_name: requireString(newName, 'new name') });
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.post('experiments/set-experiment-tag', { experiment_id: requireString(experimentId, 'experiment id'), key, value: String(value) });
  }

  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post('experiments/delete', { experiment_id: requireString(experimentId, 'experiment id') });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post('experiments/restore', { experiment_id: requireString(experimentId, 'experiment id') });
  }

  // Runs

  async createRun(experimentId: string, options: CreateRunOptions = {}): Promise<Run> {
    // MLflow's REST API has no parent or description field: both travel as the tags the SQLite store sets.
    const tags = { ...(options.tags ?? {}) };
    if (options.parentRunId !== undefined) tags['mlflow.parentRunId'] = requireString(options.parentRunId, 'parent run id');
    if (options.description !== undefined) tags['mlflow.note.content'] = options.description;
    const out = await this.post('runs/create', {
      experiment_id: requireString(experimentId, 'experiment id'),
      user_id: options.userId ?? tags['mlflow.user'] ?? userInfo().username,
      run_name: options.runName ?? tags['mlflow.runName'],
      start_time: options.startTime ?? Date.now(),
      tags: recordToTags(tags),
    });
    const run = runFromJson(out.run);
    this.artifactRoots.set(run.info.runId, run.info.artifactUri);
    return run;
  }

  async getRun(runId: string): Promise<Run> {
    const out = await this.get('runs/get', { run_id: requireString(runId, 'run id') });
    return runFromJson(out.run);
  }

  async updateRun(runId: string, options: UpdateRunOptions): Promise<void> {
    await this.post('runs/update', {
      run_id: requireString(runId, 'run id'),
      run_uuid: runId,
      status: options.status,
      end_time: options.endTime,
      run_name: options.name,
    });
  }

  async setTerminated(runId: string, status: RunStatus = 'FINISHED', endTime: number = Date.now()): Promise<void> {
    await this.updateRun(runId, { status, endTime });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.post('runs/delete', { run_id: requireString(runId, 'run id') });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.post('runs/restore', { run_id: requireString(runId, 'run id') });
  }

  // Logging

  async logParam(runId: string, key: string, value: ParamValue): Promise<void> {
    await this.post('runs/log-parameter', {
      run_id: requireString(runId, 'run id'),
      run_uuid: runId,
      key: requireString(key, 'param key'),
      value: paramValueToString(value),
    });
  }

  async logMetric(runId: string, key: string, value: number, options: { timestamp?: number; step?: number } = {}): Promise<void> {
    const metric = metricToJson({ key, value, ...options }, Date.now());
    await this.post('runs/log-metric', { run_id: requireString(runId, 'run id'), run_uuid: runId, ...metric });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.post('runs/set-tag', { run_id: requireString(runId, 'run id'), run_uuid: runId, key: requireString(key, 'tag key'), value: String(value) });
  }

  async deleteTag(runId: string, key: string): Promise<void> {
    await this.post('runs/delete-tag', { run_id: requireString(runId, 'run id'), key: requireString(key, 'tag key') });
  }

  /**
   * Sent in as few requests as MLflow's per-request limits allow. A batch larger than one request is
   * therefore not all-or-nothing over HTTP: a later chunk can fail after earlier ones were stored.
   */
  async logBatch(runId: string, batch: LogBatchInput): Promise<void> {
    requireString(runId, 'run id');
    const now = Date.now();
    const metrics = (batch.metrics ?? []).map((m) => metricToJson(m, now));
    const params = (batch.params ?? []).map((p) => ({ key: requireString(p.key, 'param key'), value: paramValueToString(p.value) }));
    const tags = (batch.tags ?? []).map((t) => ({ key: requireString(t.key, 'tag key'), value: String(t.value) }));
    for (const chunk of splitBatch(metrics, params, tags)) {
      await this.post('runs/log-batch', { run_id: runId, ...chunk });
    }
  }

  async getMetricHistory(runId: string, key: string): Promise<Metric[]> {
    const all: Metric[] = [];
    let pageToken: string | undefined;
    do {
      const out = await this.get('metrics/get-history', {
        run_id: requireString(runId, 'run id'),
        metric_key: requireString(key, 'metric key'),
        page_token: pageToken,
      });
      all.push(...(out.metrics ?? []).map(metricFromJson));
      pageToken = out.next_page_token || undefined;
    } while (pageToken);
    return all.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
  }

  async searchRuns(experimentIds: string[], options: SearchRunsOptions = {}): Promise<Page & { runs: Run[] }> {
    if (!Array.isArray(experimentIds)) throw invalidParameter(`expected an array of experiment ids but received ${String(experimentIds)}`);
    const out = await this.post('runs/search', {
      experiment_ids: experimentIds.map((id) => requireString(id, 'experiment id')),
      filter: options.filterString,
      run_view_type: options.runViewType,
      max_results: options.maxResults ?? DEFAULT_MAX_RESULTS,
      order_by: options.orderBy,
      page_token: options.pageToken,
    });
    return { runs: (out.runs ?? []).map(runFromJson), ...(out.next_page_token ? { nextPageToken: out.next_page_token } : {}) };
  }

  // Artifacts and inputs

  private async artifactRoot(runId: string): Promise<string> {
    const known = this.artifactRoots.get(runId);
    if (known) return known;
    const uri = (await this.getRun(runId)).info.artifactUri;
    this.artifactRoots.set(runId, uri);
    return uri;
  }

  async logArtifact(runId: string, localPath: string, artifactPath?: string): Promise<void> {
    await this.artifacts.logArtifact(await this.artifactRoot(requireString(runId, 'run id')), localPath, artifactPath);
  }

  async logArtifacts(runId: string, localDir: string, artifactPath?: string): Promise<void> {
    await this.artifacts.logArtifacts(await this.artifactRoot(requireString(runId, 'run id')), localDir, artifactPath);
  }

  async listArtifacts(runId: string, path?: string): Promise<FileInfo[]> {
    return this.artifacts.listArtifacts(await this.artifactRoot(requireString(runId, 'run id')), path);
  }

  async downloadArtifacts(runId: string, path: string, dstPath?: string): Promise<string> {
    return this.artifacts.downloadArtifacts(await this.artifactRoot(requireString(runId, 'run id')), path, dstPath);
  }

  async logInputs(runId: string, datasets: DatasetInput[]): Promise<void> {
    await this.post('runs/log-inputs', { run_id: requireString(runId, 'run id'), datasets: datasets.map(datasetInputToJson) });
  }

  // Model registry

  async createRegisteredModel(name: string, options: CreateRegisteredModelOptions = {}): Promise<RegisteredModel> {
    const out = await this.post('registered-models/create', {
      name: requireString(name, 'registered model name'),
      tags: recordToTags(options.tags),
      description: options.description,
    });
    return registeredModelFromJson(out.registered_model);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    const out = await this.get('registered-models/get', { name: requireString(name, 'registered model name') });
    return registeredModelFromJson(out.registered_model);
  }

  async searchRegisteredModels(options: SearchRegisteredModelsOptions = {}): Promise<Page & { registeredModels: RegisteredModel[] }> {
    const out = await this.get('registered-models/search', {
      filter: options.filterString,
      max_results: options.maxResults ?? 100,
      order_by: options.orderBy,
      page_token: options.pageToken,
    });
    return {
      registeredModels: (out.registered_models ?? []).map(registeredModelFromJson),
      ...(out.next_page_token ? { nextPageToken: out.next_page_token } : {}),
    };
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.post('registered-models/delete', { name: requireString(name, 'registered model name') }, 'DELETE');
  }

  async createModelVersion(name: string, source: string, options: CreateModelVersionOptions = {}): Promise<ModelVersion> {
    const out = await this.post('model-versions/create', {
      name: requireString(name, 'registered model name'),
      source: requireString(source, 'model source'),
      run_id: options.runId,
      tags: recordToTags(options.tags),
      run_link: options.runLink,
      description: options.description,
    });
    return modelVersionFromJson(out.model_version);
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const out = await this.get('model-versions/get', { name: requireString(name, 'registered model name'), version: String(version) });
    return modelVersionFromJson(out.model_version);
  }

  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    await this.post('registered-models/set-tag', { name: requireString(name, 'registered model name'), key, value: String(value) });
  }

  async setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.post('model-versions/set-tag', { name: requireString(name, 'registered model name'), version: String(version), key, value: String(value) });
  }

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    await this.post('registered-models/alias', { name: requireString(name, 'registered model name'), alias: requireString(alias, 'alias'), version: String(version) });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    const out = await this.get('registered-models/alias', { name: requireString(name, 'registered model name'), alias: requireString(alias, 'alias') });
    return modelVersionFromJson(out.model_version);
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    await this.post('registered-models/alias', { name: requireString(name, 'registered model name'), alias: requireString(alias, 'alias') }, 'DELETE');
  }

  async close(): Promise<void> {
    // fetch keeps no per-store connection pool to release; forget cached roots.
    this.artifactRoots.clear();
  }
}
