/**
 * Pruners decide whether a trial goes on each time it reports its objective, after every epoch (the
 * resource: epochs trained so far, counted across folds with sweep.folds) or, with pruner.resource
 * folds, after every cross-validation fold (the resource: folds finished; the value: the mean of their
 * last-epoch values, which after the last fold is the objective itself).
 *
 * - asha: asynchronous successive halving (Li et al., "A System for Massively Parallel Hyperparameter
 *   Tuning", 2020). Rungs sit at minEpochs × reductionFactor^k epochs (minFolds × … folds); a trial reaching a rung goes on
 *   only if its value is among the best ⌊n / reductionFactor⌋ (at least 1) of the n values recorded
 *   at that rung so far.
 * - median: from minEpochs (minFolds) on, a trial whose value is worse than the median of the other
 *   trials' values at the same epoch (fold) stops (once at least 3 others have reported there).
 * - none: every trial runs to the end.
 *
 * With sweep.folds and resource epochs the runner passes the first fold's epochs as the horizon: rungs
 * fall inside that fold, where trials of different lengths still report comparable values, and a trial
 * that leaves it runs to the end. Those early, one-fold values are noisy on small data (a 179-row fold
 * moves 0.56 points a row); resource folds judges finished folds instead, which every trial reports on
 * the same rows whatever its length.
 *
 * A trial's last epoch is never pruned (it is finished anyway). The pruner's memory is the reported
 * values alone, so a resumed sweep rebuilds it from the trials' logged `sweep_objective` histories.
 */
import type { SweepSpec } from '../config/sweep-schema.js';

export interface PruneDecision {
  prune: boolean;
  reason?: string;
}

export class Pruner {
  /** resource → trial → value. */
  private readonly values = new Map<number, Map<number, number>>();
  constructor(
    private readonly options: SweepSpec['pruner'],
    private readonly mode: 'min' | 'max',
    private readonly metric = 'objective',
  ) {}

  /** Records a value without deciding (a resumed sweep replays the finished trials' histories). */
  record(trial: number, resource: number, value: number): void {
    if (!Number.isFinite(value)) return;
    let at = this.values.get(resource);
    if (!at) this.values.set(resource, (at = new Map()));
    at.set(trial, value);
  }

  private get byFolds(): boolean {
    return this.options.resource === 'folds';
  }

  /** The first resource a trial can be pruned at. */
  private get min(): number {
    return this.byFolds ? this.options.minFolds : this.options.minEpochs;
  }

  /** "epoch 3" or "fold 2": where a decision was taken, for its reason. */
  private at(resource: number): string {
    return `${this.byFolds ? 'fold' : 'epoch'} ${resource}`;
  }

  /** The rung resources below `limit` (ASHA). */
  rungs(limit: number): number[] {
    const out: number[] = [];
    for (let r = this.min; r < limit; r *= this.options.reductionFactor) out.push(r);
    return out;
  }

  private better(a: number, b: number): boolean {
    return this.mode === 'min' ? a < b : a > b;
  }

  /**
   * Records trial's value at `resource` (of `plannedResource` in all) and says whether to stop it. Rungs
   * and medians only apply below `horizon` (sweep.folds: the first fold's epochs); a non-finite value
   * stops the trial at any epoch but its last.
   */
  report(trial: number, resource: number, value: number, plannedResource: number, horizon = plannedResource): PruneDecision {
    this.record(trial, resource, value);
    const { type, reductionFactor } = this.options;
    if (type === 'none' || resource >= plannedResource || resource < this.min) return { prune: false };
    const shown = Number.isFinite(value) ? value.toPrecision(4) : String(value);
    const what = this.byFolds ? `mean ${this.metric} of the first ${resource} fold(s)` : this.metric;
    if (!Number.isFinite(value)) return { prune: true, reason: `${what} is ${value} at ${this.at(resource)}` };
    if (resource >= horizon) return { prune: false };
    const others = [...(this.values.get(resource) ?? new Map()).entries()].filter(([t]) => t !== trial).map(([, v]) => v);
    if (type === 'median') {
      if (others.length < 3) return { prune: false };
      const sorted = [...others].sort((a, b) => a - b);
      const mid = sorted.length / 2;
      const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
      return this.better(median, value)
        ? { prune: true, reason: `median pruner: ${what} ${shown} at ${this.at(resource)} is worse than the median ${median.toPrecision(4)} of ${others.length} other trials there` }
        : { prune: false };
    }
    if (!this.rungs(horizon).includes(resource)) return { prune: false };
    const all = [...others, value];
    const keep = Math.max(1, Math.floor(all.length / reductionFactor));
    const rank = others.filter((v) => this.better(v, value)).length;
    if (rank < keep) return { prune: false };
    const cut = [...all].sort((a, b) => (this.better(a, b) ? -1 : 1))[keep - 1];
    return {
      prune: true,
      reason: `asha: ${what} ${shown} at rung ${this.at(resource)} ranks ${rank + 1} of ${all.length}; only the best ${keep} (1/${reductionFactor}) go on (cut ${cut.toPrecision(4)})`,
    };
  }
}
