/**
 * The contract between the training loop and its callbacks. The loop owns TrainerState and passes it
 * read-only; callbacks steer the loop only through TrainerControl flags (never by mutating the trainer),
 * so hook order cannot create hidden coupling. Built-ins (early stopping, checkpoints, progress, memory,
 * tracking) are ordinary callbacks.
 */
import type { TrainingConfig } from '../config/schema.js';

/** Metrics of one optimizer step, read after the step's single eval. */
export interface StepMetrics {
  loss: number;
  learningRate: number;
  gradNorm?: number;
  batchSize: number;
  tokens: number;
  stepTimeMs: number;
  samplesPerSecond: number;
  tokensPerSecond: number;
}

/** Validation results; `confusionMatrix[true][predicted]`. */
export interface EvalMetrics {
  loss: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  rocAuc?: number;
  confusionMatrix: number[][];
  [extra: string]: number | number[][] | undefined;
}

export interface MemorySnapshot {
  activeBytes: number;
  peakBytes: number;
  cacheBytes: number;
  rssBytes: number;
}

export interface TrainerState {
  readonly config: TrainingConfig;
  /** Optimizer steps taken so far (micro-batches of one accumulated step count once). */
  globalStep: number;
  epoch: number;
  /** Position within the epoch's batch order, for exact resume. */
  batchIndex: number;
  totalSteps: number;
  lastStep?: StepMetrics;
  lastEval?: EvalMetrics;
  /** Best value of the monitored metric and the step it was reached at. */
  best?: { metric: string; value: number; step: number };
  memory?: MemorySnapshot;
  /** Run id in the tracking store when tracking is enabled (rank 0 only). */
  runId?: string;
  /** Fold index during k-fold cross-validation. */
  fold?: number;
}

/** Flags a callback sets to steer the loop; the loop resets them after acting. */
export interface TrainerControl {
  shouldStop: boolean;
  shouldEvaluate: boolean;
  shouldSave: boolean;
  shouldLog: boolean;
}

/** Every hook is optional; hooks may be async (the loop awaits them between steps, never inside one). */
export interface Callback {
  readonly name?: string;
  onTrainStart?(state: TrainerState, control: TrainerControl): void | Promise<void>;
  onEpochStart?(state: TrainerState, control: TrainerControl): void | Promise<void>;
  onStepEnd?(state: TrainerState, control: TrainerControl): void | Promise<void>;
  onEvaluate?(state: TrainerState, control: TrainerControl, metrics: EvalMetrics): void | Promise<void>;
  onSave?(state: TrainerState, control: TrainerControl, checkpointPath: string): void | Promise<void>;
  onEpochEnd?(state: TrainerState, control: TrainerControl): void | Promise<void>;
  onTrainEnd?(state: TrainerState, control: TrainerControl): void | Promise<void>;
  onException?(state: TrainerState, error: unknown): void | Promise<void>;
  /** State saved in checkpoints and restored on resume (e.g. early-stopping patience). */
  stateDict?(): Record<string, unknown>;
  loadStateDict?(state: Record<string, unknown>): void;
}
