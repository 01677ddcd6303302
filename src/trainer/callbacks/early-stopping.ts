/**
 * Stops training when the monitored validation metric has not improved by more than `minDelta` for
 * `patience` evaluations in a row. Its counters are checkpointed, so a resumed run keeps its patience.
 */
import { defaultMode, isImprovement, type MonitorMode, monitoredValue } from '../evaluate.js';
import type { Callback, EvalMetrics, TrainerControl, TrainerState } from '../types.js';

export interface EarlyStoppingOptions {
  /** Logged name (`val_loss`, `val_f1`) or EvalMetrics key; default `val_loss`. */
  monitor?: string;
  /** Default: 'min' for losses, 'max' otherwise. */
  mode?: MonitorMode;
  /** Evaluations without improvement before stopping (default 3). */
  patience?: number;
  minDelta?: number;
  /** Where the stop message goes (default: nowhere; the loop reports the stop). */
  log?: (message: string) => void;
}

export class EarlyStopping implements Callback {
  readonly name = 'early-stopping';
  readonly monitor: string;
  readonly mode: MonitorMode;
  readonly patience: number;
  readonly minDelta: number;
  /** Evaluations since the last improvement. */
  wait = 0;
  best: { value: number; step: number } | undefined;
  stoppedStep: number | undefined;
  private readonly log?: (message: string) => void;

  constructor(options: EarlyStoppingOptions = {}) {
    const { patience = 3, minDelta = 0 } = options;
    if (!Number.isInteger(patience) || patience < 1) throw new RangeError(`EarlyStopping: expected an integer patience ≥ 1 but received ${patience}`);
    if (!(minDelta >= 0)) throw new RangeError(`EarlyStopping: expected minDelta ≥ 0 but received ${minDelta}`);
    if (options.mode !== undefined && options.mode !== 'min' && options.mode !== 'max') throw new RangeError(`EarlyStopping: expected mode 'min' or 'max' but received ${String(options.mode)}`);
    this.monitor = options.monitor ?? 'val_loss';
    this.mode = options.mode ?? defaultMode(this.monitor);
    this.patience = patience;
    this.minDelta = minDelta;
    this.log = options.log;
  }

  /** From `training.earlyStopping` of the config; null when disabled. */
  static fromConfig(es: { enabled: boolean; monitor: string; mode: MonitorMode; patience: number; minDelta: number }, log?: (message: string) => void): EarlyStopping | null {
    return es.enabled ? new EarlyStopping({ monitor: es.monitor, mode: es.mode, patience: es.patience, minDelta: es.minDelta, log }) : null;
  }

  onEvaluate(state: TrainerState, control: TrainerControl, metrics: EvalMetrics): void {
    const value = monitoredValue(metrics, this.monitor);
    if (isImprovement(value, this.best?.value, this.mode, this.minDelta)) {
      this.best = { value, step: state.globalStep };
      this.wait = 0;
      return;
    }
    this.wait++;
    if (this.wait >= this.patience) {
      control.shouldStop = true;
      this.stoppedStep = state.globalStep;
      this.log?.(
        `early stopping at step ${state.globalStep}: ${this.monitor} has not improved for ${this.wait} evaluation(s); best ${this.best ? `${this.best.value.toPrecision(5)} at step ${this.best.step}` : 'none (never finite)'}`,
      );
    }
  }

  stateDict(): Record<string, unknown> {
    return { monitor: this.monitor, mode: this.mode, wait: this.wait, best: this.best ?? null, stoppedStep: this.stoppedStep ?? null };
  }

  loadStateDict(state: Record<string, unknown>): void {
    if (state.monitor !== undefined && state.monitor !== this.monitor) {
      throw new RangeError(`EarlyStopping: the checkpoint monitored '${String(state.monitor)}' but this run monitors '${this.monitor}'`);
    }
    this.wait = typeof state.wait === 'number' ? state.wait : 0;
    this.best = (state.best as EarlyStopping['best'] | null) ?? undefined;
    this.stoppedStep = typeof state.stoppedStep === 'number' ? state.stoppedStep : undefined;
  }
}
