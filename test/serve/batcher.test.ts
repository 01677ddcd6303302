/** The micro-batcher on its own (a plain async function as the batch), with real timers. */
import { describe, expect, it } from 'vitest';
import { MicroBatcher } from '../../src/serve/batcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batch function that records each call's items and answers item × 10 after `ms`. */
function recorder(ms = 5) {
  const calls: number[][] = [];
  const run = async (items: number[]) => {
    calls.push([...items]);
    await sleep(ms);
    return items.map((i) => i * 10);
  };
  return { calls, run };
}

describe('MicroBatcher', () => {
  it('requests arriving together share one call, each gets its own outputs in order', async () => {
    const { calls, run } = recorder();
    const b = new MicroBatcher(run, { maxBatchRows: 32, maxWaitMs: 20 });
    const out = await Promise.all([b.submit([1]), b.submit([2, 3]), b.submit([4])]);
    expect(out).toEqual([[10], [20, 30], [40]]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(b.stats).toEqual({ batches: 1, requests: 3, rows: 4 });
  });

  it('maxBatchRows caps a call (1 turns batching off); a request larger than it runs alone', async () => {
    const off = recorder();
    const b1 = new MicroBatcher(off.run, { maxBatchRows: 1, maxWaitMs: 20 });
    await Promise.all([1, 2, 3, 4].map((i) => b1.submit([i])));
    expect(off.calls).toEqual([[1], [2], [3], [4]]);

    const capped = recorder();
    const b3 = new MicroBatcher(capped.run, { maxBatchRows: 3, maxWaitMs: 20 });
    const out = await Promise.all([b3.submit([1, 2]), b3.submit([3]), b3.submit([4, 5, 6, 7]), b3.submit([8])]);
    expect(out).toEqual([[10, 20], [30], [40, 50, 60, 70], [80]]);
    expect(capped.calls).toEqual([[1, 2, 3], [4, 5, 6, 7], [8]]);
  });

  it('maxWaitMs: a request that arrives within the wait joins the batch, one after it does not', async () => {
    const joined = recorder();
    const wait = new MicroBatcher(joined.run, { maxBatchRows: 32, maxWaitMs: 150 });
    const a = wait.submit([1]);
    await sleep(30);
    await Promise.all([a, wait.submit([2])]);
    expect(joined.calls).toEqual([[1, 2]]);

    const alone = recorder();
    const now = new MicroBatcher(alone.run, { maxBatchRows: 32, maxWaitMs: 0 });
    const c = now.submit([1]);
    await sleep(30);
    await Promise.all([c, now.submit([2])]);
    expect(alone.calls).toEqual([[1], [2]]);
  });

  it('requests that arrive while a call runs form the next batch', async () => {
    const { calls, run } = recorder(40);
    const b = new MicroBatcher(run, { maxBatchRows: 32, maxWaitMs: 0 });
    const first = b.submit([1]);
    await sleep(5);
    const rest = [b.submit([2]), b.submit([3]), b.submit([4])];
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([[1], [2, 3, 4]]);
  });

  it('a failing batch is retried request by request: only the bad request fails', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher(async (items: number[]) => {
      calls.push(items);
      if (items.includes(-1)) throw new Error('bad item -1');
      return items;
    }, { maxBatchRows: 32, maxWaitMs: 20 });
    const results = await Promise.allSettled([b.submit([1]), b.submit([-1]), b.submit([2])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('bad item -1');
    expect(calls).toEqual([[1, -1, 2], [1], [-1], [2]]);
  });

  it('refuses settings that cannot work', () => {
    const run = async (x: number[]) => x;
    expect(() => new MicroBatcher(run, { maxBatchRows: 0, maxWaitMs: 1 })).toThrow(/maxBatchRows/);
    expect(() => new MicroBatcher(run, { maxBatchRows: 2, maxWaitMs: -1 })).toThrow(/maxWaitMs/);
  });
});
