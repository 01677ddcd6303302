/**
 * When to checkpoint and what to keep: every `everySteps` optimizer steps (0 = at the end of each
 * epoch), whenever the monitored metric improves (that file becomes the best one), and the newest
 * `keep` files plus the best after every save.
 */
import { basename } from 'node:path';
import { checkpointName, pruneCheckpoints } from '../run-checkpoint.js';
import type { Callback, TrainerControl, TrainerState } from '../types.js';

export class CheckpointCallback implements Callback {
  readonly name = 'checkpoint';
  /** File name of the best checkpoint so far. */
  bestCheckpoint?: string;

  constructor(
    readonly dir: string,
    readonly keep: number,
    readonly everySteps: number,
  ) {}

  onStepEnd(state: TrainerState, control: TrainerControl): void {
    if (this.everySteps > 0 && state.globalStep % this.everySteps === 0) control.shouldSave = true;
  }

  onEpochEnd(_state: TrainerState, control: TrainerControl): void {
    if (this.everySteps === 0) control.shouldSave = true;
  }

  onEvaluate(state: TrainerState, control: TrainerControl): void {
    // The loop has just recorded a new best at this step: save it and never prune it.
    if (state.best && state.best.step === state.globalStep) {
      this.bestCheckpoint = checkpointName(state.globalStep);
      control.shouldSave = true;
    }
  }

  onSave(_state: TrainerState, _control: TrainerControl, path: string): void {
    if (path) pruneCheckpoints(this.dir, this.keep, [this.bestCheckpoint]);
  }

  /** The best checkpoint's name as of `path`'s save (for the artifact log). */
  bestPath(dirPath: (name: string) => string): string | undefined {
    return this.bestCheckpoint ? dirPath(basename(this.bestCheckpoint)) : undefined;
  }

  stateDict(): Record<string, unknown> {
    return { bestCheckpoint: this.bestCheckpoint ?? null };
  }

  loadStateDict(s: Record<string, unknown>): void {
    this.bestCheckpoint = typeof s.bestCheckpoint === 'string' ? s.bestCheckpoint : undefined;
  }
}
