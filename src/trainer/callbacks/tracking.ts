/**
 * Records a training run in the tracking store (MLflow's model): params (the flattened config), tags
 * (git commit, versions, host), the dataset as a run input, step metrics batched per log interval,
 * system metrics (memory), validation metrics, artifacts (resolved config, best checkpoint) and the
 * final status (FINISHED / FAILED / KILLED).
 *
 * The store must work when training starts: one that cannot be opened, is corrupt, or refuses the run
 * stops fit() before the first step (tracking.enabled=false / --no-track trains without it). Once the
 * run exists, a store that becomes unreachable never stops training: writes are buffered, retried at the
 * next flush, and whatever is still unsent at the end is reported (count and reason), not lost silently.
 *
 * A resumed training (the checkpoint carries the run id) continues the same run: it is set back to
 * RUNNING with this process's pid, so a run whose process was killed (-9) is not left orphaned. Each run
 * carries `mlx_train.host` and `mlx_train.pid`, which `mlx-train runs` uses to show a RUNNING run whose
 * process is gone as stale.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { native } from '../../core/binding.js';
import { configToYaml, flattenConfig } from '../../config/load.js';
import type { PreparedData } from '../../data/dataset.js';
import { StoreError } from '../../errors.js';
import { openStore } from '../../tracking/index.js';
import type { MetricInput, RunStatus, TrackingClient } from '../../tracking/types.js';
import { metricsForLogging } from '../evaluate.js';
import { memoryMetrics, memorySnapshot } from '../memory.js';
import type { CheckpointCallback } from './checkpoint.js';
import { registerModelVersion } from './register-model.js';
import type { Callback, EvalMetrics, TrainerControl, TrainerState } from '../types.js';

export interface TrackingCallbackOptions {
  log: (message: string) => void;
  data?: PreparedData;
  checkpointCallback?: CheckpointCallback;
  /** Open this store instead of config.tracking.trackingUri (tests, shared clients). */
  store?: TrackingClient;
  /** Most metric points held while the store is unreachable (oldest dropped beyond it). */
  maxBuffered?: number;
  /** Extra run tags (e.g. `mlflow.parentRunId` for a k-fold child run). */
  tags?: Record<string, string>;
  /** Run name instead of config.tracking.runName. */
  runName?: string;
  /** Do not register the best checkpoint under tracking.registerModel (k-fold fold runs). */
  skipRegistration?: boolean;
}

const packageVersion = (() => {
  try {
    const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
})();

function gitCommit(): string | undefined {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: process.cwd(), encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  const out = r.status === 0 ? r.stdout.trim() : '';
  return /^[0-9a-f]{40}$/.test(out) ? out : undefined;
}


export class TrackingCallback implements Callback {
  readonly name = 'tracking';
  runId?: string;
  private store?: TrackingClient;
  private readonly buffer: MetricInput[] = [];
  private unreachable: string | null = null;
  private dropped = 0;
  /** While true (onTrainStart), a store failure is thrown instead of buffered. */
  private starting = false;
  private readonly options: TrackingCallbackOptions;

  constructor(options: TrackingCallbackOptions) {
    this.options = options;
  }

  /** Metric points not yet written (the store was unreachable). */
  get pending(): number {
    return this.buffer.length;
  }

  /** Runs a store call; on failure, remembers why and reports the first failure. */
  private async attempt<T>(what: string, fn: (s: TrackingClient) => Promise<T>): Promise<T | undefined> {
    if (!this.store) return undefined;
    try {
      const out = await fn(this.store);
      if (this.unreachable) {
        this.options.log(`tracking: the store is reachable again (${this.store.trackingUri})`);
        this.unreachable = null;
      }
      return out;
    } catch (err) {
      if (this.starting) throw err;
      const reason = (err as Error).message;
      if (!this.unreachable) this.options.log(`warning: tracking: ${what} failed (${reason}); training continues and metrics are buffered`);
      this.unreachable = reason;
      return undefined;
    }
  }

  async onTrainStart(state: TrainerState): Promise<void> {
    const t = state.config.tracking;
    this.starting = true;
    try {
      this.store = this.options.store ?? (await openStore(t.trackingUri, { artifactRoot: t.artifactLocation }));
      await this.ensureRun(state);
    } catch (err) {
      if (!this.options.store) await this.store?.close().catch(() => {});
      this.store = undefined;
      throw new StoreError(
        `tracking store ${t.trackingUri} cannot be used (${(err as Error).message}); nothing was trained. Fix the store or train without tracking: --no-track (tracking.enabled=false)`,
        'TRACKING_UNAVAILABLE',
        { cause: err },
      );
    } finally {
      this.starting = false;
    }
  }

  /** A resumed training's run, set back to RUNNING; null when it is gone or belongs elsewhere (a new run is made). */
  private async reopenRun(runId: string, experimentId: string): Promise<string | null> {
    const run = await this.attempt('finding the resumed run', (s) => s.getRun(runId).catch(() => null));
    if (!run || run.info.experimentId !== experimentId || run.info.lifecycleStage === 'deleted') {
      this.options.log(`tracking: the checkpoint's run ${runId} is not an active run of this experiment in ${this.store!.trackingUri}; starting a new run`);
      return null;
    }
    await this.attempt('reopening the run', async (s) => {
      await s.updateRun(runId, { status: 'RUNNING' });
      await s.logBatch(runId, { tags: [{ key: 'mlx_train.pid', value: String(process.pid) }, { key: 'mlx_train.host', value: hostname() }] });
    });
    this.options.log(`tracking: resuming run ${runId}`);
    return runId;
  }

  /** Creates the run (experiment, tags, params, dataset, config artifact); retried at each flush until it works. */
  private async ensureRun(state: TrainerState): Promise<boolean> {
    if (this.runId) return true;
    if (!this.store) return false;
    const t = state.config.tracking;
    const experimentId = await this.attempt('finding the experiment', async (s) => {
      const found = await s.getExperimentByName(t.experimentName);
      return found ? found.experimentId : s.createExperiment(t.experimentName);
    });
    if (experimentId === undefined) return false;
    // Trainer.resume() puts the checkpoint's run id in state.runId before training starts.
    const resumed = state.runId ? await this.reopenRun(state.runId, experimentId) : null;
    if (resumed) {
      this.runId = resumed;
      return true;
    }
    const commit = gitCommit();
    const tags: Record<string, string> = {
      ...t.tags,
      'mlx_train.version': packageVersion,
      'mlx_train.mlx_version': String((native as unknown as { mlxVersion?: string }).mlxVersion ?? 'unknown'),
      'mlx_train.node_version': process.version,
      'mlx_train.host': hostname(),
      'mlx_train.pid': String(process.pid),
      ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
      ...this.options.tags,
    };
    const runName = this.options.runName ?? t.runName ?? undefined;
    const run = await this.attempt('creating the run', (s) => s.createRun(experimentId, { runName, tags }));
    if (!run) return false;
    this.runId = run.info.runId;
    // The tracking callback is the one writer of state.runId.
    state.runId = this.runId;
    // data.template may say 'auto': the template the pipeline resolved it to is what rendered the text.
    const resolved = this.options.data ? { 'data.resolvedTemplate': this.options.data.options.template ?? 'null' } : {};
    const params = Object.entries({ ...flattenConfig(state.config), ...resolved }).map(([key, value]) => ({ key, value: value.length > 6000 ? value.slice(0, 6000) : value }));
    for (let i = 0; i < params.length; i += 100) await this.attempt('logging params', (s) => s.logBatch(this.runId!, { params: params.slice(i, i + 100) }));
    if (this.options.data) await this.attempt('logging the dataset', (s) => s.logInputs(this.runId!, [datasetInput(this.options.data!)]));
    await this.logText('config.yaml', configToYaml(state.config));
    return true;
  }

  private async logText(name: string, text: string): Promise<void> {
    if (!this.runId) return;
    const dir = mkdtempSync(join(tmpdir(), 'mlx-train-artifact-'));
    try {
      writeFileSync(join(dir, name), text);
      await this.attempt(`logging ${name}`, (s) => s.logArtifact(this.runId!, join(dir, name)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private queue(metrics: Record<string, number | undefined>, step: number): void {
    const timestamp = Date.now();
    for (const [key, value] of Object.entries(metrics)) if (value !== undefined) this.buffer.push({ key, value, step, timestamp });
    const max = this.options.maxBuffered ?? 100_000;
    if (this.buffer.length > max) this.dropped += this.buffer.splice(0, this.buffer.length - max).length;
  }

  /** Sends buffered metrics in logBatch chunks (MLflow allows 1000 metrics per batch). */
  async flush(state?: TrainerState): Promise<void> {
    if (!this.runId && !(state && (await this.ensureRun(state)))) return;
    while (this.buffer.length > 0) {
      const chunk = this.buffer.slice(0, 1000);
      const ok = await this.attempt('logging metrics', async (s) => {
        await s.logBatch(this.runId!, { metrics: chunk });
        return true;
      });
      if (!ok) return;
      this.buffer.splice(0, chunk.length);
    }
  }

  async onStepEnd(state: TrainerState, control: TrainerControl): Promise<void> {
    const m = state.lastStep;
    if (!m) return;
    this.queue(
      {
        train_loss: m.loss,
        learning_rate: m.learningRate,
        grad_norm: m.gradNorm,
        batch_size: m.batchSize,
        step_time_ms: m.stepTimeMs,
        samples_per_second: m.samplesPerSecond,
        tokens_per_second: m.tokensPerSecond,
        epoch: state.epoch,
      },
      state.globalStep,
    );
    if (control.shouldLog) {
      if (state.memory) this.queue(memoryMetrics(state.memory), state.globalStep);
      await this.flush(state);
    }
  }

  async onEvaluate(state: TrainerState, _control: TrainerControl, metrics: EvalMetrics): Promise<void> {
    // MLflow-style snake_case names: val_loss, val_accuracy, val_f1, val_precision_macro, val_roc_auc…
    const values: Record<string, number> = metricsForLogging(metrics);
    if (state.best) values[`best_${state.best.metric}`] = state.best.value;
    this.queue(values, state.globalStep);
    await this.flush(state);
  }

  /** Logs extra metrics at `step` (e.g. the end-of-run summary); buffered like step metrics. */
  async logMetrics(metrics: Record<string, number>, step: number): Promise<void> {
    this.queue(metrics, step);
    await this.flush();
  }

  /** Logs files as run artifacts under `artifactPath` (skipped when the run was never recorded). */
  async logArtifacts(paths: string[], artifactPath?: string): Promise<void> {
    if (!this.runId) return;
    for (const path of paths) await this.attempt(`logging ${path}`, (s) => s.logArtifact(this.runId!, resolve(path), artifactPath));
  }

  private async finish(state: TrainerState, status: RunStatus): Promise<void> {
    this.queue(memoryMetrics(memorySnapshot()), state.globalStep);
    await this.flush(state);
    if (!this.runId) {
      if (this.store || this.unreachable) {
        this.options.log(`warning: tracking: the run was never recorded (${this.unreachable ?? 'store unavailable'}); ${this.buffer.length} metric point(s) were not written`);
      }
      if (!this.options.store) await this.store?.close();
      return;
    }
    const best = this.options.checkpointCallback?.bestCheckpoint;
    if (best && status !== 'FAILED') {
      const logged = await this.attempt('logging the best checkpoint', async (s) => {
        await s.logArtifact(this.runId!, resolve(join(this.options.checkpointCallback!.dir, best)), 'checkpoints');
        return true;
      });
      const name = state.config.tracking.registerModel;
      if (logged && name && status === 'FINISHED' && !this.options.skipRegistration) await this.register(name, `checkpoints/${best}`, state);
    }
    await this.attempt('ending the run', (s) => s.setTerminated(this.runId!, status));
    if (this.buffer.length > 0 || this.dropped > 0) {
      this.options.log(
        `warning: tracking: ${this.buffer.length} metric point(s) could not be written${this.dropped ? ` and ${this.dropped} were dropped from a full buffer` : ''} (${this.unreachable ?? 'unknown reason'}); run ${this.runId} is incomplete`,
      );
    }
    if (!this.options.store) await this.store?.close();
  }

  /** tracking.registerModel: the best checkpoint's artifact as a new model version linked to this run. */
  private async register(name: string, artifactPath: string, state: TrainerState): Promise<void> {
    const best = state.best;
    const tags: Record<string, string> = best ? { 'mlx_train.step': String(best.step), [`mlx_train.${best.metric}`]: String(best.value) } : {};
    const version = await this.attempt(`registering the model '${name}'`, (s) => registerModelVersion(s, { name, runId: this.runId!, artifactPath, tags }));
    if (version) this.options.log(`registered ${artifactPath} as model '${name}' version ${version.version} (run ${this.runId})`);
  }

  async onTrainEnd(state: TrainerState): Promise<void> {
    await this.finish(state, (state as { interrupted?: boolean }).interrupted ? 'KILLED' : 'FINISHED');
  }

  async onException(state: TrainerState, error: unknown): Promise<void> {
    if (this.runId) await this.attempt('recording the error', (s) => s.setTag(this.runId!, 'mlx_train.error', String((error as Error)?.message ?? error).slice(0, 5000)));
    await this.finish(state, 'FAILED');
  }
}

/** The training data as an MLflow dataset input: content digest, source file, column schema, row count. */
export function datasetInput(data: PreparedData) {
  const file = data.table.file;
  const digest = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 8);
  const typeName: Record<string, string> = { number: 'double', category: 'string', text: 'string' };
  const schema = { mlflow_colspec: data.columns.map((c) => ({ name: c.name, type: typeName[c.type] ?? 'string' })) };
  return {
    dataset: {
      name: file.split('/').pop()!.replace(/\.csv$/i, ''),
      digest,
      sourceType: 'local',
      source: JSON.stringify({ uri: `file://${resolve(file)}` }),
      schema: JSON.stringify(schema),
      profile: JSON.stringify({ num_rows: data.table.rowCount, num_train: data.split.train.length, num_validation: data.split.validation.length }),
    },
    tags: [{ key: 'mlflow.data.context', value: 'training' }],
  };
}
