/**
 * The built-in callbacks, evaluation, plots, summary and prediction attached to the real Trainer (the
 * loop in src/trainer/loop.ts) on the shared toy dataset.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { builtinCallbacks, EarlyStopping, LearningRateMonitor, MemoryProfiler, ProgressBar, RunHistory } from '../../src/trainer/callbacks/index.js';
import { evaluateDetailed } from '../../src/trainer/evaluate.js';
import { writeRunPlots } from '../../src/trainer/plots.js';
import { predict } from '../../src/trainer/predict.js';
import { formatSummary, summarizeRun } from '../../src/trainer/summary.js';
import type { ClassifierModule } from '../../src/trainer/evaluate.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-cb-trainer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('callbacks on the real Trainer', () => {
  it('early stopping ends fit(); history, LR, memory and progress callbacks record the run; plots and predictions follow', async () => {
    const dir = join(root, 'run');
    const out = Object.assign(new PassThrough(), { isTTY: false });
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const history = new RunHistory();
    const lr = new LearningRateMonitor();
    const memory = new MemoryProfiler({ everySteps: 1, log: () => {} });
    // Only the first evaluation can "improve" by more than minDelta, so patience 2 stops after the third.
    const early = new EarlyStopping({ monitor: 'val_loss', patience: 2, minDelta: 100 });
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 50, evalEverySteps: 2, checkpointEverySteps: 1000 }), {
      createModel: tinyModelFactory(0),
      log: () => {},
      callbacks: [history, lr, memory, early, new ProgressBar({ stream: out })],
    });
    const result = await trainer.fit();
    expect(result.state.globalStep).toBe(6);
    expect(early.stoppedStep).toBe(6);
    expect(history.evals.map((e) => e.step)).toEqual([2, 4, 6]);
    expect(history.steps).toHaveLength(6);
    expect(lr.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(memory.samples).toHaveLength(6);
    expect(text).toMatch(/^\[train\] \d+ steps over 50 epoch\(s\)\n/);
    expect(text.match(/^\[eval\] step \d+/gm)).toHaveLength(3);
    expect(text).toMatch(/\[done\] 6 steps/);

    const summary = summarizeRun(history, { monitor: 'val_loss' });
    expect(summary.steps).toBe(6);
    expect(summary.best?.value).toBe(Math.min(...history.evals.map((e) => e.metrics.loss)));
    expect(formatSummary(summary)).toMatch(/^steps 6 /);

    const model = trainer.model as ClassifierModule;
    const evaluation = await evaluateDetailed(model, trainer.data.validationLoader());
    expect(evaluation.metrics.samples).toBe(trainer.data.split.validation.length);
    const plots = await writeRunPlots(join(dir, 'plots'), { history, evaluation, classNames: trainer.data.labels.classes });
    for (const p of plots) expect(readFileSync(p).subarray(1, 4).toString('ascii')).toBe('PNG');
    expect(plots.length).toBeGreaterThanOrEqual(2);

    const csv = trainer.data.options.trainPath;
    const submission = join(dir, 'submission.csv');
    const predictions = await predict({ members: { model, data: trainer.data }, testPath: csv, outputPath: submission });
    expect(existsSync(submission)).toBe(true);
    const lines = readFileSync(submission, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,label');
    expect(lines).toHaveLength(trainer.data.table.rowCount + 1);
    for (const l of predictions.labels) expect(trainer.data.labels.classes).toContain(l);
  }, 120_000);

  it('builtinCallbacks() builds the standard set from the config', async () => {
    const dir = join(root, 'builtin');
    const config = toyConfig(dir, { epochs: 50, evalEverySteps: 2, checkpointEverySteps: 1000, earlyStopping: { enabled: true, monitor: 'val_loss', patience: 1, minDelta: 100 } });
    const resolved = Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {} }).config;
    const all = builtinCallbacks(resolved, { progress: false });
    expect(all.list.map((c) => c.name)).toEqual(['run-history', 'lr-monitor', 'memory-profiler', 'early-stopping']);
    expect(all.earlyStopping).toMatchObject({ monitor: 'val_loss', mode: 'min', patience: 1, minDelta: 100 });

    // The Trainer adds early stopping itself; the rest records the run.
    const logged: string[] = [];
    const builtins = builtinCallbacks(resolved, { log: (m) => void logged.push(m), progress: false, earlyStopping: false });
    expect(builtins.earlyStopping).toBeNull();
    const result = await Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: () => {}, callbacks: builtins.list }).fit();
    expect(result.state.globalStep).toBe(4);
    expect(builtins.history.evals).toHaveLength(2);
    expect(builtins.learningRate.history).toHaveLength(4);
    expect(logged.some((m) => m.startsWith('memory ('))).toBe(true);
  }, 120_000);
});
