/**
 * A micro-batcher: requests that arrive within `maxWaitMs` of the oldest waiting one share one call of
 * `run` (one forward pass), up to `maxBatchRows` rows. One call runs at a time, since a CPU forward pass
 * already uses every core; requests that arrive meanwhile form the next batch, which starts as soon as
 * the running one ends if its oldest request has already waited `maxWaitMs`. A request larger than
 * `maxBatchRows` runs alone (the model's loader splits it).
 */

export interface BatcherOptions {
  /** Rows one call may take (≥ 1); 1 turns batching off. */
  maxBatchRows: number;
  /** How long the oldest waiting request may wait for company before its batch runs (≥ 0). */
  maxWaitMs: number;
}

export interface BatcherStats {
  /** Calls of `run`. */
  batches: number;
  requests: number;
  rows: number;
}

interface Pending<I, O> {
  items: I[];
  arrivedMs: number;
  resolve: (out: O[]) => void;
  reject: (err: unknown) => void;
}

/**
 * `run` gets the items of several requests, in arrival order, and returns one output per item. When it
 * throws for a batch of several requests, each of them is run again on its own, so one bad request cannot
 * fail the others (it gets its own error).
 */
export class MicroBatcher<I, O> {
  readonly stats: BatcherStats = { batches: 0, requests: 0, rows: 0 };
  private readonly queue: Pending<I, O>[] = [];
  private queuedRows = 0;
  private running = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: BatcherOptions,
  ) {
    if (!Number.isInteger(options.maxBatchRows) || options.maxBatchRows < 1) throw new RangeError(`expected an integer ≥ 1 for maxBatchRows but received ${options.maxBatchRows}`);
    if (!Number.isFinite(options.maxWaitMs) || options.maxWaitMs < 0) throw new RangeError(`expected a number ≥ 0 for maxWaitMs but received ${options.maxWaitMs}`);
  }

  /** Queues one request's items; resolves with their outputs, in order. */
  submit(items: I[]): Promise<O[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<O[]>((resolve, reject) => {
      this.queue.push({ items, arrivedMs: performance.now(), resolve, reject });
      this.queuedRows += items.length;
      this.schedule();
    });
  }

  /** Requests waiting for a batch (not counting the running one). */
  get waiting(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waitedMs = performance.now() - this.queue[0].arrivedMs;
    if (this.queuedRows >= this.options.maxBatchRows || waitedMs >= this.options.maxWaitMs) {
      this.clearTimer();
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, this.options.maxWaitMs - waitedMs);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Takes requests from the front while they fit in maxBatchRows (always at least one). */
  private take(): Pending<I, O>[] {
    const batch: Pending<I, O>[] = [];
    let rows = 0;
    while (this.queue.length && (batch.length === 0 || rows + this.queue[0].items.length <= this.options.maxBatchRows)) {
      const next = this.queue.shift() as Pending<I, O>;
      rows += next.items.length;
      batch.push(next);
    }
    this.queuedRows -= rows;
    return batch;
  }

  private async flush(): Promise<void> {
    this.running = true;
    const batch = this.take();
    try {
      await this.runBatch(batch);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private async runBatch(batch: Pending<I, O>[]): Promise<void> {
    const items = batch.flatMap((p) => p.items);
    this.stats.batches++;
    this.stats.requests += batch.length;
    this.stats.rows += items.length;
    let outputs: O[];
    try {
      outputs = await this.run(items);
      if (outputs.length !== items.length) throw new Error(`the batch function returned ${outputs.length} outputs for ${items.length} items`);
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // Which request broke the batch is unknown: each runs alone (and is counted again in the stats).
      this.stats.requests -= batch.length;
      this.stats.rows -= items.length;
      for (const p of batch) await this.runBatch([p]);
      return;
    }
    let at = 0;
    for (const p of batch) {
      p.resolve(outputs.slice(at, at + p.items.length));
      at += p.items.length;
    }
  }

  /** Stops the wait timer; requests already queued still run. */
  close(): void {
    this.clearTimer();
    if (!this.running && this.queue.length) void this.flush();
  }
}
