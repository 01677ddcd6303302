/**
 * One Trainer.fit on the embedded Titanic data for the accuracy benchmarks (augment-templates, distill):
 * a preset with --set overrides; with data.kFolds the whole cross-validation, or with --fold N that fold
 * alone. Prints one JSON line: per-fold validation accuracy of the checkpoint fit() returns (best epoch on
 * the monitor) and of the last epoch, their means, the out-of-fold accuracy and the wall time.
 * Run: node --import ./scripts/register-ts.mjs bench/cases/cv-fit.ts --preset quick [--fold N] [--output-dir <dir>] [--set key=value ...]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../../src/index.js';

const argv = process.argv.slice(2);
const sets = argv.flatMap((a, i) => (a === '--set' ? [argv[i + 1]] : []));
const preset = argv.includes('--preset') ? argv[argv.indexOf('--preset') + 1] : 'quick';
const fold = argv.includes('--fold') ? Number(argv[argv.indexOf('--fold') + 1]) : undefined;
// --output-dir keeps the run (e.g. as a distillation teacher); by default it goes to a temp folder, removed after.
const kept = argv.includes('--output-dir') ? argv[argv.indexOf('--output-dir') + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), 'mlxt-cv-fit-'));
const started = performance.now();
try {
  const trainer = new Trainer({
    preset,
    set: [`outputDir=${kept ?? `${dir}/out`}`, 'tracking.enabled=false', `data.cacheDir=${dir}/cache`, ...sets],
    log: (m) => process.stderr.write(`${m}\n`),
    progress: false,
    plots: false,
    ...(fold === undefined ? {} : { fold }),
  });
  const r = await trainer.fit();
  const folds = r.crossValidation
    ? r.crossValidation.folds.map((f) => ({ fold: f.fold, best: f.metrics.accuracy, last: f.lastEpochMetrics?.accuracy ?? Number.NaN }))
    : [{ fold: fold ?? 0, best: r.restoredBest?.metrics?.accuracy ?? r.metrics!.accuracy, last: r.metrics!.accuracy }];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(JSON.stringify({
    folds,
    meanBest: mean(folds.map((f) => f.best)),
    meanLast: mean(folds.map((f) => f.last)),
    oof: r.crossValidation?.outOfFold.metrics.accuracy ?? null,
    seconds: (performance.now() - started) / 1000,
    load: loadavg()[0],
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
