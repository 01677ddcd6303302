/**
 * The end-of-run report: the summary (best/final metrics, throughput) as text in the log and as
 * `summary/*` metrics in the tracked run, and the charts (training curves, confusion matrix, ROC) in
 * outputDir/plots, logged as run artifacts. It runs in onTrainEnd, before the tracking callback ends the
 * run. A failure here is reported and never fails a finished training run.
 */
import { join } from 'node:path';
import type { EvaluationResult, MonitorMode } from '../evaluate.js';
import { writeRunPlots } from '../plots.js';
import { formatSummary, type RunHistory, type RunSummary, summarizeRun, summaryMetrics } from '../summary.js';
import type { Callback, TrainerState } from '../types.js';
import type { TrackingCallback } from './tracking.js';

export interface RunReportOptions {
  history: RunHistory;
  monitor: string;
  mode: MonitorMode;
  log: (message: string) => void;
  /** Where the PNG charts go; null skips the charts. */
  plotsDir: string | null;
  /** The final model on the validation split (labels and probabilities, for the confusion matrix and ROC). */
  evaluate: () => Promise<EvaluationResult | undefined>;
  classNames?: readonly string[];
  tracking?: TrackingCallback | null;
}

export class RunReport implements Callback {
  readonly name = 'run-report';
  summary?: RunSummary;
  plots: string[] = [];
  private readonly options: RunReportOptions;

  constructor(options: RunReportOptions) {
    this.options = options;
  }

  async onTrainEnd(state: TrainerState): Promise<void> {
    const o = this.options;
    try {
      this.summary = summarizeRun(o.history, { monitor: o.monitor, mode: o.mode });
      o.log(formatSummary(this.summary));
      await o.tracking?.logMetrics(summaryMetrics(this.summary), state.globalStep);
    } catch (err) {
      o.log(`warning: run summary failed: ${(err as Error).message}`);
    }
    if (!o.plotsDir) return;
    try {
      const evaluation = o.history.evals.length ? await o.evaluate() : undefined;
      this.plots = await writeRunPlots(o.plotsDir, { history: o.history, evaluation, classNames: o.classNames });
      await o.tracking?.logArtifacts(this.plots, 'plots');
    } catch (err) {
      o.log(`warning: run plots failed: ${(err as Error).message}`);
    }
  }
}

export const plotsDirOf = (outputDir: string) => join(outputDir, 'plots');
