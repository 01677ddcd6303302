/**
 * The study lives in the tracking store, nothing beside it: the sweep is a parent run (tag
 * `mlx_train.sweep`, the spec's digest, the spec as params and an artifact) and each trial attempt is a
 * child run (tag `mlflow.parentRunId`, the nesting MLflow's UI shows) carrying its index, its params
 * (JSON, besides the config params every training run logs under their full key paths), its reported
 * objective (`sweep_objective`, step = epochs trained, or folds finished with pruner.resource folds) and,
 * once decided, its state and epochs trained (`sweep_epochs`). A resumed sweep reads
 * this back: finished trials (complete, pruned, failed) stay as they are; an attempt without a state was
 * cut off and is marked interrupted (KILLED) and run again with the same params.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { TrackingClient } from '../tracking/types.js';
import { ConfigError } from '../errors.js';
import type { TrialParams } from './space.js';

export const TAGS = {
  sweep: 'mlx_train.sweep',
  specDigest: 'mlx_train.sweep.spec_sha256',
  trial: 'mlx_train.sweep.trial',
  attempt: 'mlx_train.sweep.attempt',
  params: 'mlx_train.sweep.params',
  enqueued: 'mlx_train.sweep.enqueued',
  state: 'mlx_train.sweep.state',
  reason: 'mlx_train.sweep.pruned_reason',
  parent: 'mlflow.parentRunId',
} as const;
export const OBJECTIVE_METRIC = 'sweep_objective';

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed' | 'interrupted';

export interface TrialRecord {
  index: number;
  params: TrialParams;
  state: TrialState;
  /** The objective (complete trials); the last reported value for pruned ones. */
  value: number | null;
  /** Epochs trained (across folds). */
  epochs: number;
  /** Epochs the trial would train if run to the end (epochs × folds). */
  plannedEpochs: number;
  runId?: string;
  attempt: string;
  reason?: string;
  /** resource (epochs trained, or folds finished) → value, as reported. */
  history: Map<number, number>;
  /** Run first from sweep.enqueue rather than drawn. */
  enqueued?: boolean;
}

/** How far a trial got: the last resource in its reported history (epochs trained, or folds finished). */
export const reached = (history: TrialRecord['history']): number => Math.max(0, ...history.keys());

export function specDigest(spec: unknown): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** Creates the experiment if needed and the parent run of a new sweep. */
export async function createSweepRun(store: TrackingClient, opts: { experiment: string; runName?: string; digest: string; params: Record<string, string> }): Promise<{ runId: string; experimentId: string }> {
  const found = await store.getExperimentByName(opts.experiment);
  const experimentId = found ? found.experimentId : await store.createExperiment(opts.experiment);
  const run = await store.createRun(experimentId, {
    runName: opts.runName,
    tags: { [TAGS.sweep]: 'true', [TAGS.specDigest]: opts.digest, 'mlx_train.host': hostname(), 'mlx_train.pid': String(process.pid) },
  });
  const params = Object.entries(opts.params).map(([key, value]) => ({ key, value: value.slice(0, 6000) }));
  for (let i = 0; i < params.length; i += 100) await store.logBatch(run.info.runId, { params: params.slice(i, i + 100) });
  return { runId: run.info.runId, experimentId };
}

/** The trial runs of a sweep (direct children carrying a trial index). */
async function trialRuns(store: TrackingClient, experimentId: string, sweepRunId: string) {
  const filter = `tags.\`${TAGS.parent}\` = '${sweepRunId}'`;
  const out = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchRuns([experimentId], { filterString: filter, maxResults: 1000, pageToken, orderBy: ['attributes.start_time ASC'] });
    out.push(...page.runs.filter((r) => r.data.tags[TAGS.trial] !== undefined));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

/**
 * Reopens a sweep: checks the run is a sweep of this spec, sets it RUNNING again, and returns every
 * attempt it recorded; attempts cut off by a kill are marked interrupted (KILLED) in the store.
 * `foldSteps`: the sweep's folds when its objective's steps count folds (pruner.resource folds).
 */
export async function reopenSweep(store: TrackingClient, sweepRunId: string, digest: string, foldSteps: number | null = null): Promise<{ experimentId: string; attempts: TrialRecord[] }> {
  const run = await store.getRun(sweepRunId).catch(() => null);
  if (!run) throw new ConfigError(`--resume ${sweepRunId}: no such run in ${store.trackingUri}`);
  if (run.data.tags[TAGS.sweep] !== 'true') throw new ConfigError(`--resume ${sweepRunId}: run '${run.info.runName}' is not a sweep run (no tag ${TAGS.sweep})`);
  if (run.data.tags[TAGS.specDigest] !== digest) {
    throw new ConfigError(`--resume ${sweepRunId}: the sweep section or the base config differs from the one this sweep started with (digest ${run.data.tags[TAGS.specDigest]}, now ${digest}); resume with the same config file`);
  }
  await store.updateRun(sweepRunId, { status: 'RUNNING' });
  await store.logBatch(sweepRunId, { tags: [{ key: 'mlx_train.pid', value: String(process.pid) }, { key: 'mlx_train.host', value: hostname() }] });
  const attempts: TrialRecord[] = [];
  for (const r of await trialRuns(store, run.info.experimentId, sweepRunId)) {
    const t = r.data.tags;
    const history = new Map((await store.getMetricHistory(r.info.runId, OBJECTIVE_METRIC)).map((m) => [m.step, m.value]));
    const plannedEpochs = Number(t['mlx_train.sweep.planned_epochs'] ?? 0);
    let state = (t[TAGS.state] as TrialState | undefined) ?? 'running';
    if (state === 'running') {
      state = 'interrupted';
      if (r.info.status === 'RUNNING') await store.setTerminated(r.info.runId, 'KILLED');
      await store.setTag(r.info.runId, TAGS.state, 'interrupted');
    }
    attempts.push({
      index: Number(t[TAGS.trial]),
      params: JSON.parse(t[TAGS.params] ?? '{}') as TrialParams,
      state,
      value: Number.isFinite(r.data.metrics.sweep_value) ? r.data.metrics.sweep_value : null,
      // Logged once decided; an attempt cut off before that counts its objective's steps (the folds it finished).
      epochs: Number.isFinite(r.data.metrics.sweep_epochs) ? r.data.metrics.sweep_epochs : foldSteps ? (reached(history) * plannedEpochs) / foldSteps : reached(history),
      plannedEpochs,
      runId: r.info.runId,
      attempt: t[TAGS.attempt] ?? '',
      reason: t[TAGS.reason],
      history,
      ...(t[TAGS.enqueued] === 'true' ? { enqueued: true } : {}),
    });
  }
  return { experimentId: run.info.experimentId, attempts };
}

/** Writes a trial's outcome: its state tag, objective, and KILLED with the reason for a pruned trial. */
export async function recordOutcome(store: TrackingClient, trial: TrialRecord, experimentId: string): Promise<void> {
  if (!trial.runId) return;
  const tags = [{ key: TAGS.state, value: trial.state }, ...(trial.reason ? [{ key: trial.state === 'pruned' ? TAGS.reason : 'mlx_train.sweep.error', value: trial.reason.slice(0, 5000) }] : [])];
  const metrics = [{ key: 'sweep_epochs', value: trial.epochs }, ...(trial.value !== null && Number.isFinite(trial.value) ? [{ key: 'sweep_value', value: trial.value }] : [])];
  await store.logBatch(trial.runId, { tags, metrics });
  if (trial.state === 'pruned') {
    // The training ended FAILED on the pruning signal; a pruned trial is KILLED (its fold runs too).
    const filter = `tags.\`${TAGS.attempt}\` = '${trial.attempt}'`;
    const { runs } = await store.searchRuns([experimentId], { filterString: filter, maxResults: 1000 });
    for (const r of runs) {
      if (r.info.status !== 'FINISHED') await store.setTerminated(r.info.runId, 'KILLED');
      if (r.info.runId !== trial.runId) await store.setTag(r.info.runId, TAGS.reason, trial.reason ?? 'pruned');
    }
  }
}
