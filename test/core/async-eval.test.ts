import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

const { graph } = loadFixture<{ graph: { input: EncodedArray; out: EncodedArray } }>('creation').cases[0];

/** A graph that keeps one core busy for a while: 60 elementwise passes over 4M floats. */
function slowGraph(): mx.Array {
  let y = mx.ones([4 * 1024 * 1024]);
  for (let i = 0; i < 60; i++) y = mx.sin(mx.add(y, 1));
  return mx.sum(y);
}

describe('asyncEval', () => {
  it('returns a Promise and computes the same values as Python MLX', async () => {
    const x = fromFixture(graph.input);
    const out = mx.divide(mx.sum(mx.add(mx.multiply(mx.sin(x), 2), mx.multiply(x, x)), undefined, true), mx.exp(x));
    const p = mx.asyncEval(out);
    expect(p).toBeInstanceOf(Promise);
    await expect(p).resolves.toBeUndefined();
    expectMatches(out, graph.out, { label: 'asyncEval graph' });
  });

  it('leaves the event loop free while a large graph evaluates', async () => {
    const y = slowGraph();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    let resolved = false;
    const done = mx.asyncEval(y).then(() => {
      resolved = true;
    });
    // A timer fires while the evaluation is still running: the promise has not settled yet.
    await new Promise((r) => setTimeout(r, 20));
    const ticksWhileRunning = ticks;
    const stillRunning = !resolved;
    await done;
    clearInterval(timer);
    expect(stillRunning).toBe(true);
    expect(ticksWhileRunning).toBeGreaterThan(0);
    expect(Number.isFinite(y.item() as number)).toBe(true);
  });

  it('accepts nested trees and several arguments', async () => {
    const a = mx.add(mx.ones([3]), 1);
    const b = mx.multiply(mx.ones([2]), 3);
    const c = mx.negative(mx.ones([1]));
    await mx.asyncEval({ a, list: [b] }, new Map([['c', c]]));
    expect([a.toList(), b.toList(), c.toList()]).toEqual([[2, 2, 2], [3, 3], [-1]]);
  });

  it('resolves at once with nothing to evaluate', async () => {
    await expect(mx.asyncEval()).resolves.toBeUndefined();
    await expect(mx.asyncEval({ note: 'no arrays' })).resolves.toBeUndefined();
  });

  it('rejects (does not throw) for a disposed array, naming the op', async () => {
    const a = mx.ones([2]);
    a.dispose();
    let p: Promise<void> | undefined;
    expect(() => {
      p = mx.asyncEval(a);
    }).not.toThrow();
    await expect(p).rejects.toThrow(/asyncEval: asyncEval argument is an mx\.array that was already disposed/);
  });

  it('runs several evaluations concurrently to completion', async () => {
    const outs = [1, 2, 3, 4].map((k) => mx.multiply(mx.ones([1000]), k));
    await Promise.all(outs.map((o) => mx.asyncEval(o)));
    expect(outs.map((o) => mx.sum(o).item())).toEqual([1000, 2000, 3000, 4000]);
  });
});
