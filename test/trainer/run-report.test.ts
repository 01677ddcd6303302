/** The end of fit(): summary in the log and the run, plots in outputDir/plots and as artifacts, snake_case metric names. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, Trainer } from '../../src/index.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-run-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Trainer.fit run report', () => {
  it('logs the summary, writes and logs the plots, and names metrics MLflow-style', async () => {
    const dir = join(root, 'run');
    const config = {
      ...toyConfig(dir, { epochs: 2 }),
      tracking: { enabled: true, trackingUri: `sqlite:///${join(dir, 'mlflow.db')}`, artifactLocation: join(dir, 'artifacts'), experimentName: 'report-test' },
    };
    const logged: string[] = [];
    // The built-in progress display is on by default; here it writes to a non-TTY stream: plain lines.
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    let progress = '';
    stream.on('data', (d: Buffer) => (progress += d.toString()));
    const result = await Trainer.fromConfig(config, { createModel: tinyModelFactory(0), log: (m) => void logged.push(m), progress: { stream } }).fit();
    expect(progress).toMatch(/^\[train\] /);
    expect(progress).toMatch(/\[done\] \d+ steps/);
    expect(logged.join('\n')).toMatch(/^steps \d+ \(2 epochs\)/m);
    expect(logged.join('\n')).toMatch(/^best  val_loss /m);
    const plotsDir = join(dir, 'out', 'plots');
    for (const name of ['training_curves.png', 'confusion_matrix.png', 'roc_curve.png']) {
      expect(readFileSync(join(plotsDir, name)).subarray(1, 4).toString('ascii'), name).toBe('PNG');
    }
    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`);
    try {
      const run = await store.getRun(result.runId!);
      expect(run.info.status).toBe('FINISHED');
      const m = run.data.metrics;
      expect(m.val_accuracy).toBe(result.metrics!.accuracy);
      expect(m.val_loss).toBe(result.metrics!.loss);
      expect(m.val_precision_macro).toBe(result.metrics!.precisionMacro);
      expect(m.val_f1_weighted).toBe(result.metrics!.f1Weighted);
      expect(m['summary/steps']).toBe(result.state.globalStep);
      expect(m['summary/best_val_loss']).toBe(result.state.best!.value);
      expect(Object.keys(m).filter((k) => /^val_.*[A-Z]/.test(k))).toEqual([]);
      const plots = (await store.listArtifacts(result.runId!, 'plots')).map((f) => f.path);
      expect(plots).toEqual(expect.arrayContaining(['plots/training_curves.png', 'plots/confusion_matrix.png', 'plots/roc_curve.png']));
    } finally {
      await store.close();
    }
  }, 120_000);
});
