/**
 * Training progress on stderr. On a TTY: a live cli-progress bar with step, epoch, loss, learning rate,
 * the latest validation metrics and an ETA. Otherwise (CI logs, files): one plain line per logging
 * interval and per evaluation, since carriage-return redraws turn into noise there. Colour only on a TTY
 * and never when NO_COLOR is set (https://no-color.org).
 */
import cliProgress from 'cli-progress';
import { headline } from '../tasks/metric-table.js';
import type { Callback, EvalMetrics, TrainerControl, TrainerState } from '../types.js';

export interface ProgressBarOptions {
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Default: the stream's isTTY. */
  tty?: boolean;
  /** Default: a TTY and NO_COLOR unset (or empty). */
  color?: boolean;
  /** Plain-line mode: a line every N steps; default whenever the loop sets control.shouldLog. */
  everySteps?: number;
}

const noColorRequested = () => (process.env.NO_COLOR ?? '') !== '';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const fmtLoss = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(4));
const fmtLr = (x: number | undefined) => (x === undefined ? '-' : x.toExponential(2));

/** The headline validation metrics as `name value` pairs. */
export function formatEval(m: EvalMetrics): string {
  // Regression has no accuracy (NaN): its own figures instead.
  if (Number.isNaN(m.accuracy)) return `loss ${m.loss.toFixed(4)} ${headline(m).replace(/ {2}loss \S+/, '').replace(/ {2}/g, ' ')}`;
  const parts = [`loss ${m.loss.toFixed(4)}`, `accuracy ${m.accuracy.toFixed(4)}`, `f1 ${m.f1.toFixed(4)}`];
  if (m.rocAuc !== undefined) parts.push(`roc_auc ${m.rocAuc.toFixed(4)}`);
  return parts.join(' ');
}

export class ProgressBar implements Callback {
  readonly name = 'progress-bar';
  readonly tty: boolean;
  readonly color: boolean;
  private readonly stream: NonNullable<ProgressBarOptions['stream']>;
  private readonly everySteps?: number;
  private bar: cliProgress.SingleBar | null = null;
  private startedMs = 0;
  private startStep = 0;
  private lastEval = '';

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.color = options.color ?? (this.tty && !noColorRequested());
    this.everySteps = options.everySteps;
  }

  private paint(code: number, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  private write(line: string): void {
    this.stream.write(`${line}\n`);
  }

  private epochText(state: TrainerState): string {
    return `${Math.min(state.epoch + 1, state.config.training.epochs)}/${state.config.training.epochs}`;
  }

  /**
   * The epoch an evaluation belongs to. At an epoch's end the loop has already advanced state.epoch to
   * the resume position (batchIndex 0 of the next epoch), so that evaluation is labelled with the epoch
   * just finished, not the next one.
   */
  private evalEpochText(state: TrainerState): string {
    const done = state.batchIndex === 0 && state.epoch > 0 ? state.epoch : state.epoch + 1;
    return `${Math.min(done, state.config.training.epochs)}/${state.config.training.epochs}`;
  }

  onTrainStart(state: TrainerState): void {
    this.startedMs = performance.now();
    this.startStep = state.globalStep;
    if (!this.tty) {
      this.write(`[train] ${state.totalSteps} steps over ${state.config.training.epochs} epoch(s)${state.globalStep > 0 ? `, resuming at step ${state.globalStep}` : ''}`);
      return;
    }
    const format = `${this.paint(36, '{bar}')} {percentage}% | step {value}/{total} | epoch {epoch} | loss {loss} | lr {lr}{val} | ETA {eta_formatted}`;
    this.bar = new cliProgress.SingleBar(
      { stream: this.stream as NodeJS.WritableStream, format, hideCursor: true, barsize: 24, etaBuffer: 50, fps: 5, barCompleteChar: '\u2588', barIncompleteChar: '\u2591', clearOnComplete: false },
    );
    this.bar.start(Math.max(1, state.totalSteps), state.globalStep, { epoch: this.epochText(state), loss: '-', lr: '-', val: '' });
  }

  onStepEnd(state: TrainerState, control: TrainerControl): void {
    const s = state.lastStep;
    if (this.bar) {
      this.bar.update(state.globalStep, { epoch: this.epochText(state), loss: fmtLoss(s?.loss), lr: fmtLr(s?.learningRate), val: this.lastEval });
      return;
    }
    const due = this.everySteps ? state.globalStep % this.everySteps === 0 : control.shouldLog;
    if (!due && state.globalStep !== state.totalSteps) return;
    const done = state.globalStep - this.startStep;
    const elapsed = performance.now() - this.startedMs;
    const eta = done > 0 ? (elapsed / done) * (state.totalSteps - state.globalStep) : Number.NaN;
    const pct = state.totalSteps > 0 ? Math.floor((100 * state.globalStep) / state.totalSteps) : 0;
    const speed = s ? ` ${s.samplesPerSecond.toFixed(1)} samples/s` : '';
    this.write(`[train] step ${state.globalStep}/${state.totalSteps} (${pct}%) epoch ${this.epochText(state)} loss ${fmtLoss(s?.loss)} lr ${fmtLr(s?.learningRate)}${speed} ETA ${formatDuration(eta)}`);
  }

  onEvaluate(state: TrainerState, _control: TrainerControl, metrics: EvalMetrics): void {
    if (this.bar) {
      this.lastEval = ` | val ${this.paint(33, Number.isNaN(metrics.accuracy) ? formatEval(metrics) : `loss ${metrics.loss.toFixed(4)} acc ${metrics.accuracy.toFixed(4)}`)}`;
      this.bar.update(state.globalStep, { val: this.lastEval });
      return;
    }
    this.write(`[eval] step ${state.globalStep} epoch ${this.evalEpochText(state)}: ${formatEval(metrics)}`);
  }

  private finish(message: string): void {
    if (this.bar) {
      this.bar.stop();
      this.bar = null;
    }
    this.write(message);
  }

  onTrainEnd(state: TrainerState): void {
    const elapsed = performance.now() - this.startedMs;
    this.finish(`${this.paint(32, '[done]')} ${state.globalStep} steps in ${formatDuration(elapsed)}${state.lastEval ? `; last eval: ${formatEval(state.lastEval)}` : ''}`);
  }

  onException(state: TrainerState, error: unknown): void {
    this.finish(`${this.paint(31, '[failed]')} at step ${state.globalStep}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
