/**
 * Issue #19's goal: a 24-trial TPE + ASHA sweep over the standard preset's space (configs/examples/
 * sweep-titanic.yaml: each trial scored by 5-fold CV, pruned after its first and third folds) finds a config whose
 * 5-fold CV accuracy is at least the standard preset's (same protocol: seed 42, 5 stratified folds; both
 * the selected-on-the-fold and the last-epoch figures), training at most half the epochs that running
 * every trial to the end takes. The standard preset itself runs as a trial (enqueue: base); the JSON says
 * whether the best trial is that one or a searched one.
 * Prints one JSON line: the sweep's epoch budget, the best trial, and its 5-fold figures.
 * Run: node --import ./scripts/register-ts.mjs bench/sweep-titanic.ts [--dir DIR] [--resume RUN_ID] [--set key=value ...]
 * (e.g. --set sweep.seed=1 for another draw of the same search)
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { sweep } from '../src/sweep/index.js';
import { Trainer } from '../src/trainer/index.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const dir = arg('--dir') ?? mkdtempSync(join(tmpdir(), 'mlx-train-sweep-titanic-'));
mkdirSync(dir, { recursive: true });
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);
const started = performance.now();
const load = [loadavg()[0]];
const extra = process.argv.flatMap((a, i) => (a === '--set' && process.argv[i + 1] ? [process.argv[i + 1]] : []));
const sets = [...extra, `outputDir=${dir}/out`, `tracking.trackingUri=sqlite:///${dir}/mlflow.db`, `tracking.artifactLocation=${dir}/artifacts`, `data.cacheDir=${dir}/cache`];
const result = await sweep({ file: 'configs/examples/sweep-titanic.yaml', set: sets }, { resume: arg('--resume'), log });
const sweepSeconds = (performance.now() - started) / 1000;
load.push(loadavg()[0]);
if (!result.best) throw new Error('no trial completed');
log(`best trial ${result.best.index}: objective ${result.best.value.toFixed(4)}; ${result.epochsTrained}/${result.epochsFullBudget} epochs; now the 5-fold check`);

// The standard preset's protocol on the best config: 5 stratified folds, seed 42.
const cvConfig = parseConfig({ ...result.best.config, data: { ...result.best.config.data, kFolds: 5 }, outputDir: `${dir}/cv`, tracking: { ...result.best.config.tracking, runName: 'sweep-best-5fold' } } as Record<string, unknown>);
const trainer = Trainer.fromConfig(cvConfig, { progress: false, log: (m) => (/^fold|cross-validation|last epoch|best checkpoint/.test(m.trim()) ? log(m) : undefined) });
const fit = await trainer.fit();
const cv = fit.crossValidation!;
load.push(loadavg()[0]);
console.log(JSON.stringify({
  sweepRunId: result.runId,
  trials: result.trials.length,
  complete: result.trials.filter((t) => t.state === 'complete').length,
  pruned: result.trials.filter((t) => t.state === 'pruned').length,
  epochsTrained: result.epochsTrained,
  epochsFullBudget: result.epochsFullBudget,
  epochShare: Number((result.epochsTrained / result.epochsFullBudget).toFixed(3)),
  best: { trial: result.best.index, enqueued: Boolean(result.best.enqueued), objective: result.best.value, params: result.best.params },
  enqueuedTrials: result.trials.filter((t) => t.enqueued).map((t) => ({ trial: t.index, state: t.state, value: t.value })),
  cv5: {
    selectedOnFold: { mean: cv.mean.val_accuracy, std: cv.std.val_accuracy, oof: cv.outOfFold.metrics.accuracy },
    lastEpoch: cv.lastEpoch ? { mean: cv.lastEpoch.mean.val_accuracy, std: cv.lastEpoch.std.val_accuracy, oof: cv.lastEpoch.metrics.accuracy } : null,
  },
  sweepMinutes: Number((sweepSeconds / 60).toFixed(1)),
  totalMinutes: Number(((performance.now() - started) / 60000).toFixed(1)),
  cpus: cpus().length,
  load1: load.map((l) => Number(l.toFixed(2))),
  date: new Date().toISOString(),
}));
