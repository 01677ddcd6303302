// Reading a sweep back from a real SQLite store: how far each attempt got, including one cut off by a kill,
// whose epochs come from its objective's steps (folds finished under pruner.resource folds).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSweepRun, OBJECTIVE_METRIC, reopenSweep, TAGS } from '../../src/sweep/study.js';
import { TrackingStore } from '../../src/tracking/index.js';

// Both attempts can start in the same millisecond, so the store's start-time order may tie.
const byIndex = <T extends { index: number }>(a: T[]) => [...a].sort((x, y) => x.index - y.index);

async function storeWithAttempts() {
  const store = new TrackingStore(`sqlite:///${join(mkdtempSync(join(tmpdir(), 'mlxt-study-')), 'mlflow.db')}`);
  const { runId, experimentId } = await createSweepRun(store, { experiment: 'study', digest: 'd1', params: {} });
  const attempt = async (trial: number, steps: number[], extra: { state?: string; epochs?: number } = {}) => {
    const r = await store.createRun(experimentId, { tags: { [TAGS.parent]: runId, [TAGS.trial]: String(trial), [TAGS.params]: '{}', [TAGS.attempt]: `a${trial}`, 'mlx_train.sweep.planned_epochs': '15' } });
    for (const step of steps) await store.logMetric(r.info.runId, OBJECTIVE_METRIC, 0.8, { step });
    if (extra.state) await store.setTag(r.info.runId, TAGS.state, extra.state);
    if (extra.epochs !== undefined) await store.logMetric(r.info.runId, 'sweep_epochs', extra.epochs);
  };
  await attempt(0, [1], { state: 'pruned', epochs: 3 }); // pruned after its first of 5 folds of 3 epochs
  await attempt(1, [1, 2]); // killed after 2 folds
  return { store, runId };
}

describe('reopenSweep', () => {
  it('counts a cut-off attempt\'s folds as epochs when the objective is reported per fold', async () => {
    const { store, runId } = await storeWithAttempts();
    const { attempts } = await reopenSweep(store, runId, 'd1', 5);
    expect(byIndex(attempts).map((a) => [a.index, a.state, a.epochs])).toEqual([[0, 'pruned', 3], [1, 'interrupted', 6]]);
    await store.close();
  });

  it('reads the steps as epochs otherwise, and refuses another spec', async () => {
    const { store, runId } = await storeWithAttempts();
    expect(byIndex((await reopenSweep(store, runId, 'd1')).attempts).map((a) => a.epochs)).toEqual([3, 2]);
    await expect(reopenSweep(store, runId, 'other')).rejects.toThrow(/differs from the one this sweep started with/);
    await store.close();
  });
});
