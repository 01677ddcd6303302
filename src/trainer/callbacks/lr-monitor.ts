/**
 * Records the learning rate of every optimizer step (the schedule as it actually ran, warmup and decay
 * included) and reports it at each logging interval to an optional sink (e.g. the tracking store).
 */
import type { Callback, TrainerControl, TrainerState } from '../types.js';

export interface LearningRateMonitorOptions {
  /** Receives `{ learning_rate }` at each logging interval. */
  sink?: (metrics: Record<string, number>, step: number) => void;
  /** Report every N steps; default: whenever the loop sets control.shouldLog. */
  everySteps?: number;
}

export class LearningRateMonitor implements Callback {
  readonly name = 'lr-monitor';
  readonly history: { step: number; learningRate: number }[] = [];
  private readonly options: LearningRateMonitorOptions;

  constructor(options: LearningRateMonitorOptions = {}) {
    if (options.everySteps !== undefined && !(Number.isInteger(options.everySteps) && options.everySteps > 0)) {
      throw new RangeError(`LearningRateMonitor: expected an integer everySteps ≥ 1 but received ${options.everySteps}`);
    }
    this.options = options;
  }

  onStepEnd(state: TrainerState, control: TrainerControl): void {
    const lr = state.lastStep?.learningRate;
    if (lr === undefined) return;
    this.history.push({ step: state.globalStep, learningRate: lr });
    const due = this.options.everySteps ? state.globalStep % this.options.everySteps === 0 : control.shouldLog;
    if (due) this.options.sink?.({ learning_rate: lr }, state.globalStep);
  }

  /** The history is kept across a resume so curves stay whole. */
  stateDict(): Record<string, unknown> {
    return { steps: this.history.map((h) => h.step), learningRates: this.history.map((h) => h.learningRate) };
  }

  loadStateDict(state: Record<string, unknown>): void {
    const steps = (state.steps as number[] | undefined) ?? [];
    const rates = (state.learningRates as number[] | undefined) ?? [];
    this.history.length = 0;
    steps.forEach((step, i) => this.history.push({ step, learningRate: rates[i] }));
  }
}
