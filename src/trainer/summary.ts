/**
 * The run's record and summary. RunHistory is a callback that keeps every step's loss, learning rate and
 * timing and every evaluation (the data behind the training-curve plots); summarizeRun turns it into the
 * best/final metrics and throughput, as a JSON object to log and a short text block for the CLI.
 */
import { defaultMode, metricsForLogging, type MonitorMode, monitoredValue, isImprovement } from './evaluate.js';
import type { Callback, EvalMetrics, TrainerControl, TrainerState } from './types.js';

export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  learningRate: number;
  stepTimeMs: number;
  samples: number;
  tokens: number;
}

export interface EvalRecord {
  step: number;
  epoch: number;
  metrics: EvalMetrics;
}

export class RunHistory implements Callback {
  readonly name = 'run-history';
  readonly steps: StepRecord[] = [];
  readonly evals: EvalRecord[] = [];
  startedMs: number | undefined;
  endedMs: number | undefined;

  onTrainStart(): void {
    this.startedMs = performance.now();
    this.endedMs = undefined;
  }

  onStepEnd(state: TrainerState): void {
    const s = state.lastStep;
    if (!s) return;
    this.steps.push({ step: state.globalStep, epoch: state.epoch, loss: s.loss, learningRate: s.learningRate, stepTimeMs: s.stepTimeMs, samples: s.batchSize, tokens: s.tokens });
  }

  onEvaluate(state: TrainerState, _control: TrainerControl, metrics: EvalMetrics): void {
    this.evals.push({ step: state.globalStep, epoch: state.epoch, metrics });
  }

  onTrainEnd(): void {
    this.endedMs = performance.now();
  }

  /** Kept across a resume so the curves and totals cover the whole run (columns keep it compact). */
  stateDict(): Record<string, unknown> {
    const col = <K extends keyof StepRecord>(k: K) => this.steps.map((s) => s[k]);
    return {
      steps: { step: col('step'), epoch: col('epoch'), loss: col('loss'), learningRate: col('learningRate'), stepTimeMs: col('stepTimeMs'), samples: col('samples'), tokens: col('tokens') },
      evals: this.evals,
    };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const s = state.steps as Record<keyof StepRecord, number[]> | undefined;
    this.steps.length = 0;
    this.evals.length = 0;
    if (s) s.step.forEach((step, i) => this.steps.push({ step, epoch: s.epoch[i], loss: s.loss[i], learningRate: s.learningRate[i], stepTimeMs: s.stepTimeMs[i], samples: s.samples[i], tokens: s.tokens[i] }));
    for (const e of (state.evals as EvalRecord[] | undefined) ?? []) this.evals.push(e);
  }
}

export interface RunSummary {
  steps: number;
  epochs: number;
  samples: number;
  tokens: number;
  /** Sum of the optimizer steps' times (data waits and evaluation excluded). */
  totalStepTimeMs: number;
  meanStepTimeMs: number;
  samplesPerSecond: number;
  tokensPerSecond: number;
  /** onTrainStart → onTrainEnd (evaluation and checkpoints included), when both were seen. */
  wallTimeMs?: number;
  finalTrainLoss?: number;
  /** The last evaluation, under logged names (`val_loss`, …). */
  final?: Record<string, number>;
  best?: { metric: string; mode: MonitorMode; value: number; step: number; metrics: Record<string, number> };
}

/** Best (on `monitor`, default val_loss) and final metrics, and throughput, of a recorded run. */
export function summarizeRun(history: RunHistory, options: { monitor?: string; mode?: MonitorMode } = {}): RunSummary {
  const monitor = options.monitor ?? 'val_loss';
  const mode = options.mode ?? defaultMode(monitor);
  const steps = history.steps;
  const sum = (f: (s: StepRecord) => number) => steps.reduce((a, s) => a + f(s), 0);
  const totalStepTimeMs = sum((s) => s.stepTimeMs);
  const samples = sum((s) => s.samples);
  const tokens = sum((s) => s.tokens);
  const perSecond = (n: number) => (totalStepTimeMs > 0 ? (n * 1000) / totalStepTimeMs : 0);
  const summary: RunSummary = {
    steps: steps.length,
    epochs: steps.length ? steps[steps.length - 1].epoch + 1 : 0,
    samples,
    tokens,
    totalStepTimeMs,
    meanStepTimeMs: steps.length ? totalStepTimeMs / steps.length : 0,
    samplesPerSecond: perSecond(samples),
    tokensPerSecond: perSecond(tokens),
  };
  if (history.startedMs !== undefined && history.endedMs !== undefined) summary.wallTimeMs = history.endedMs - history.startedMs;
  if (steps.length) summary.finalTrainLoss = steps[steps.length - 1].loss;
  const evals = history.evals;
  if (evals.length) {
    summary.final = metricsForLogging(evals[evals.length - 1].metrics);
    let best: EvalRecord | undefined;
    let bestValue: number | undefined;
    for (const e of evals) {
      const v = monitoredValue(e.metrics, monitor);
      if (isImprovement(v, bestValue, mode)) [best, bestValue] = [e, v];
    }
    if (best && bestValue !== undefined) summary.best = { metric: monitor, mode, value: bestValue, step: best.step, metrics: metricsForLogging(best.metrics) };
  }
  return summary;
}

/** The summary as flat numbers for a metrics log (`summary/...`). */
export function summaryMetrics(s: RunSummary): Record<string, number> {
  const out: Record<string, number> = {
    'summary/steps': s.steps,
    'summary/samples': s.samples,
    'summary/total_step_time_s': s.totalStepTimeMs / 1000,
    'summary/mean_step_time_ms': s.meanStepTimeMs,
    'summary/samples_per_second': s.samplesPerSecond,
    'summary/tokens_per_second': s.tokensPerSecond,
  };
  if (s.wallTimeMs !== undefined) out['summary/wall_time_s'] = s.wallTimeMs / 1000;
  if (s.best) for (const [k, v] of Object.entries(s.best.metrics)) out[`summary/best_${k}`] = v;
  return out;
}

const seconds = (ms: number) => (ms >= 100_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`);
const pick = (m: Record<string, number> | undefined) =>
  m ? ['val_loss', 'val_accuracy', 'val_f1', 'val_roc_auc'].filter((k) => k in m).map((k) => `${k.slice(4)} ${m[k].toFixed(4)}`).join(', ') : '';

/** A few lines for the end of a CLI run. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `steps ${s.steps} (${s.epochs} epoch${s.epochs === 1 ? '' : 's'}), ${s.samples} samples`,
    `time  ${seconds(s.totalStepTimeMs)} in steps${s.wallTimeMs !== undefined ? `, ${seconds(s.wallTimeMs)} wall` : ''}; ${s.meanStepTimeMs.toFixed(1)} ms/step, ${s.samplesPerSecond.toFixed(1)} samples/s, ${s.tokensPerSecond.toFixed(0)} tokens/s`,
  ];
  if (s.finalTrainLoss !== undefined) lines.push(`train loss ${s.finalTrainLoss.toFixed(4)} (last step)`);
  if (s.best) lines.push(`best  ${s.best.metric} ${s.best.value.toFixed(4)} at step ${s.best.step}: ${pick(s.best.metrics)}`);
  if (s.final) lines.push(`final ${pick(s.final)}`);
  return lines.join('\n');
}
