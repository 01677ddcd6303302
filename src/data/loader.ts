/**
 * Iterates one split in batches: seeded order, length buckets / token budget, prefetch, and MLX arrays made
 * only as each batch is handed out. `epoch(e, {startBatch})` resumes mid-epoch exactly.
 */
import { type BatchingOptions, DEFAULT_BATCHING, planBatches } from './batching.js';
import { type Batch, collate, type HostBatch, type SoftTargets, toMxBatch } from './collate.js';
import { type EncodedExamples, exampleLength } from './encoded.js';
import { DataError } from './errors.js';
import { prefetch } from './prefetch.js';

export interface DataLoaderOptions {
  batching?: BatchingOptions;
  seed?: number;
  /** Batches prepared ahead of the one in use (0 = none). */
  prefetch?: number;
  padId: number;
  /** The examples of each epoch, when they change per epoch (augment.ts); default: `indices` every epoch. */
  indicesForEpoch?: (epoch: number) => readonly number[];
  /** Per-example soft targets (distillation), packed beside the labels of each batch (collate.ts). */
  softTargets?: SoftTargets | null;
  /** Label values per row: 1 (a class id or a scalar target) or the label count of a multi-label task. */
  labelWidth?: number;
}

export class DataLoader {
  readonly examples: EncodedExamples;
  /** Example indices (into `examples`) of this split. */
  readonly indices: readonly number[];
  /** Class ids (int32), or `labelWidth` float targets per example. */
  readonly labels: Int32Array | Float32Array | null;
  private readonly options: Required<Omit<DataLoaderOptions, 'batching' | 'indicesForEpoch' | 'softTargets'>> & Pick<DataLoaderOptions, 'indicesForEpoch' | 'softTargets'> & { batching: BatchingOptions };
  private readonly lengths: Int32Array;
  private planned: { epoch: number; batches: number[][] } | null = null;

  constructor(examples: EncodedExamples, indices: readonly number[], labels: Int32Array | Float32Array | null, options: DataLoaderOptions) {
    if (indices.length === 0) throw new DataError('the split has no rows to batch');
    this.examples = examples;
    this.indices = indices;
    this.labels = labels;
    this.options = { seed: 0, prefetch: 2, labelWidth: 1, ...options, batching: { ...DEFAULT_BATCHING, ...options.batching } };
    this.lengths = Int32Array.from(indices, (i) => exampleLength(examples, i));
  }

  get size(): number {
    return this.indices.length;
  }

  /** The epoch's batches as example indices (deterministic in seed and epoch). */
  plan(epoch: number): number[][] {
    if (this.planned?.epoch !== epoch) {
      const perEpoch = this.options.indicesForEpoch?.(epoch);
      const indices = perEpoch ?? this.indices;
      const lengths = perEpoch ? Int32Array.from(perEpoch, (i) => exampleLength(this.examples, i)) : this.lengths;
      const positions = planBatches(lengths, this.options.batching, this.options.seed, epoch);
      this.planned = { epoch, batches: positions.map((b) => b.map((p) => indices[p])) };
    }
    return this.planned.batches;
  }

  numBatches(epoch = 0): number {
    return this.plan(epoch).length;
  }

  /** Host-side batches (typed arrays) from `startBatch` on. */
  *hostBatches(epoch: number, startBatch = 0): Generator<HostBatch> {
    const batches = this.plan(epoch);
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > batches.length) {
      throw new DataError(`startBatch ${startBatch} is outside 0..${batches.length} for epoch ${epoch}`, { key: 'startBatch' });
    }
    for (let index = startBatch; index < batches.length; index++) {
      yield collate(this.examples, batches[index], this.labels, { padId: this.options.padId, padToMultipleOf: this.options.batching.padToMultipleOf, index, epoch, softTargets: this.options.softTargets, labelWidth: this.options.labelWidth });
    }
  }

  /** MLX batches for one epoch, prepared `prefetch` ahead; dispose each batch after its step. */
  async *epoch(epoch: number, options: { startBatch?: number } = {}): AsyncGenerator<Batch, void, undefined> {
    for await (const host of prefetch(this.hostBatches(epoch, options.startBatch ?? 0), this.options.prefetch)) yield toMxBatch(host);
  }
}
