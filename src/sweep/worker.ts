/**
 * A sweep worker: a child process (forked by the sweep runner, IPC channel open) that trains one trial.
 * After each epoch (or, with pruner.resource folds, after each fold's last epoch: the mean of the folds
 * finished so far) it reports the objective and waits for the runner's pruning decision; a pruned trial
 * stops by throwing a TrainingError (code TRIAL_PRUNED) out of the callback, which ends its training runs at once. The
 * worker exits when the runner goes away (the IPC channel closes, e.g. the runner was killed), so no
 * orphan keeps training.
 */
import type { TrainingConfig } from '../config/schema.js';
import { TrainingError } from '../errors.js';

export interface TrialJob {
  type: 'trial';
  index: number;
  config: TrainingConfig;
  tags: Record<string, string>;
  metric: string;
  /** What a report counts: epochs trained, or (sweep.folds) folds finished. */
  resource: 'epochs' | 'folds';
}

export type WorkerMessage =
  | { type: 'run'; runId: string; fold?: number }
  | { type: 'report'; seq: number; resource: number; epochs: number; value: number }
  | { type: 'done'; state: 'complete' | 'pruned' | 'failed' | 'interrupted'; value: number | null; reason?: string; epochs: number };

const send = (m: WorkerMessage) => new Promise<void>((done) => process.send!(m, undefined, {}, () => done()));

const pending = new Map<number, (d: { prune: boolean; reason?: string }) => void>();
let seq = 0;

async function runTrial(job: TrialJob): Promise<void> {
  const { Trainer } = await import('../trainer/trainer.js');
  const { monitoredValue, metricKey } = await import('../trainer/evaluate.js');
  const { config } = job;
  const epochs = config.training.epochs;
  let trained = 0;
  let last: number | null = null;
  /** resource folds: each finished fold's last-epoch value. */
  const foldValues: number[] = [];
  const report = async (resource: number, value: number) => {
    last = value;
    const id = ++seq;
    const decision = new Promise<{ prune: boolean; reason?: string }>((r) => pending.set(id, r));
    await send({ type: 'report', seq: id, resource, epochs: trained, value });
    const d = await decision;
    if (d.prune) throw new TrainingError(`trial pruned: ${d.reason ?? ''}`, 'TRIAL_PRUNED');
  };
  const reporter = {
    name: 'sweep-reporter',
    onTrainStart: async (state: { runId?: string; fold?: number }) => {
      if (state.runId) await send({ type: 'run', runId: state.runId, fold: state.fold });
    },
    // Epoch ends only (the loop evaluates there with batchIndex back at 0); mid-epoch evaluations are not rungs.
    // A fold's last epoch is its planned one, or an earlier one where early stopping (a built-in callback,
    // so it has run by now) asked to stop.
    onEvaluate: async (state: { batchIndex: number; epoch: number; fold?: number }, control: { shouldStop?: boolean }, metrics: Parameters<typeof monitoredValue>[0]) => {
      if (state.batchIndex !== 0) return;
      trained = (state.fold ?? 0) * epochs + state.epoch;
      const value = monitoredValue(metrics, job.metric);
      if (job.resource === 'epochs') return report(trained, value);
      if (state.epoch < epochs && !control.shouldStop) return;
      foldValues.push(value);
      return report(foldValues.length, foldValues.reduce((a, b) => a + b, 0) / foldValues.length);
    },
  };
  try {
    const trainer = Trainer.fromConfig(config, { callbacks: [reporter], trackingTags: job.tags, progress: false, plots: false, log: (m) => process.stderr.write(`[trial ${job.index}] ${m}\n`) });
    const result = await trainer.fit();
    // Ctrl-C reaches the worker too: the loop checkpointed and stopped; the trial is not finished.
    if (result.status === 'KILLED') return await send({ type: 'done', state: 'interrupted', value: null, epochs: trained });
    const cv = result.crossValidation;
    const logged = `val_${metricKey(job.metric).replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    const value = cv ? (cv.lastEpoch?.mean[logged] ?? null) : result.metrics ? monitoredValue(result.metrics, job.metric) : last;
    await send({ type: 'done', state: 'complete', value, epochs: trained });
  } catch (err) {
    if (err instanceof TrainingError && err.code === 'TRIAL_PRUNED') await send({ type: 'done', state: 'pruned', value: last, reason: err.message.replace(/^trial pruned: /, ''), epochs: trained });
    else await send({ type: 'done', state: 'failed', value: null, reason: `${(err as { code?: string }).code ?? 'ERROR'}: ${(err as Error).message}`, epochs: trained });
  }
}

if (process.send) {
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: TrialJob | { type: 'decision'; seq: number; prune: boolean; reason?: string }) => {
    if (m.type === 'decision') {
      pending.get(m.seq)?.(m);
      pending.delete(m.seq);
    } else if (m.type === 'trial') {
      runTrial(m).then(() => process.exit(0), (err) => {
        process.stderr.write(`sweep worker: ${(err as Error).stack ?? err}\n`);
        process.exit(1);
      });
    }
  });
}
