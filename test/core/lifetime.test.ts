import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { runTsChild } from './children/run-child.js';
import { native } from '../../src/core/binding.js';

const children = join(import.meta.dirname, 'children');

/** True once the MLX array behind `a` has been freed (its handle then refuses every use). */
function isDisposed(a: mx.Array): boolean {
  try {
    native.meta(a.handle);
    return false;
  } catch (err) {
    if (/already disposed/.test(String(err))) return true;
    throw err;
  }
}

describe('dispose and using', () => {
  it('frees at once and is idempotent', () => {
    const a = mx.ones([8]);
    expect(isDisposed(a)).toBe(false);
    a.dispose();
    expect(isDisposed(a)).toBe(true);
    expect(() => a.dispose()).not.toThrow();
    expect(native.dispose(a.handle)).toBe(false);
  });

  it('reports use after dispose as a TypeError naming the argument', () => {
    const a = mx.ones([2]);
    a.dispose();
    expect(() => mx.add(a, 1)).toThrow(TypeError);
    expect(() => mx.add(a, 1)).toThrow(/add: a is an mx\.array that was already disposed/);
  });

  it('frees a `using` array when its block ends', () => {
    let outside: mx.Array;
    {
      using a = mx.zeros([4]);
      outside = a;
      expect(isDisposed(a)).toBe(false);
    }
    expect(isDisposed(outside)).toBe(true);
  });

  it('mx.dispose frees every array in a nested tree', () => {
    const tree = { w: mx.ones([2]), layers: [mx.ones([3]), { b: mx.ones([1]) }], m: new Map([['k', mx.ones([1])]]) };
    mx.dispose(tree);
    expect([tree.w, tree.layers[0] as mx.Array, (tree.layers[1] as { b: mx.Array }).b, tree.m.get('k')!].map(isDisposed))
      .toEqual([true, true, true, true]);
  });
});

describe('tidy', () => {
  it('keeps the returned nested tree and disposes the other arrays it made', () => {
    const made: mx.Array[] = [];
    const out = mx.tidy(() => {
      const t = mx.ones([3]);
      const u = mx.add(t, 1);
      made.push(t, u);
      return { sum: mx.add(u, u), parts: [u, { sq: mx.multiply(u, u) }], names: new Map([['t', mx.negative(t)]]) };
    });
    expect(isDisposed(made[0])).toBe(true);
    expect(isDisposed(made[1])).toBe(false);  // returned inside parts
    expect(out.sum.toList()).toEqual([4, 4, 4]);
    expect((out.parts[1] as { sq: mx.Array }).sq.toList()).toEqual([4, 4, 4]);
    expect(out.names.get('t')!.toList()).toEqual([-1, -1, -1]);
  });

  it('leaves arrays made before the scope alone', () => {
    const before = mx.ones([2]);
    mx.tidy(() => {
      mx.add(before, 1);
    });
    expect(isDisposed(before)).toBe(false);
  });

  it('nests: an inner result belongs to the outer scope', () => {
    let inner: mx.Array | undefined;
    let innerTemp: mx.Array | undefined;
    const out = mx.tidy(() => {
      inner = mx.tidy(() => {
        innerTemp = mx.ones([2]);
        return mx.add(innerTemp, 1);
      });
      expect(isDisposed(innerTemp!)).toBe(true);
      expect(isDisposed(inner)).toBe(false);
      return mx.add(inner, 1);
    });
    expect(isDisposed(inner!)).toBe(true);  // not returned by the outer scope
    expect(out.toList()).toEqual([3, 3]);
  });

  it('keep() exempts arrays from every enclosing scope', () => {
    let kept: mx.Array | undefined;
    mx.tidy(() => {
      mx.tidy(() => {
        kept = mx.keep(mx.full([2], 7));
      });
    });
    expect(isDisposed(kept!)).toBe(false);
    expect(kept!.toList()).toEqual([7, 7]);
  });

  it('disposes everything and rethrows when the function throws', () => {
    let temp: mx.Array | undefined;
    const boom = new Error('boom');
    expect(() => mx.tidy(() => {
      temp = mx.ones([2]);
      throw boom;
    })).toThrow(boom);
    expect(isDisposed(temp!)).toBe(true);
    // The scope stack was restored: arrays made afterwards are not tracked by the dead scope.
    const after = mx.ones([1]);
    expect(isDisposed(after)).toBe(false);
  });

  it('rejects async functions, after freeing what they made synchronously', () => {
    let temp: mx.Array | undefined;
    expect(() => mx.tidy(async () => {
      temp = mx.ones([1]);
    })).toThrow(/tidy scopes must be synchronous/);
    expect(isDisposed(temp!)).toBe(true);
  });

  it('returns non-array results untouched', () => {
    expect(mx.tidy(() => mx.sum(mx.ones([4])).item())).toBe(4);
  });
});

describe('handles', () => {
  it('rejects foreign objects with "expected an mx.array"', () => {
    const foreign = [{}, { handle: 1 }, [], 'x', null, undefined];
    for (const f of foreign) expect(() => native.meta(f as never)).toThrow(/expected an mx\.array/);
    expect(() => native.dispose({} as never)).toThrow(/expected an mx\.array/);
    expect(native.isArray({})).toBe(false);
    expect(native.isArray(mx.ones([1]).handle)).toBe(true);
  });

  it('refuses a handle whose slot now holds another array, as disposed, and leaves that array alone', () => {
    const a = mx.ones([2]);
    const stale = a.handle;
    a.dispose();
    const next = mx.ones([3]);
    // The freed slot is the next one handed out; only its generation tells the two handles apart.
    const slotBits = (h: unknown) => (h as bigint) & 0xffffffn;
    expect(slotBits(next.handle)).toBe(slotBits(stale));
    expect(next.handle).not.toBe(stale);
    expect(() => native.meta(stale)).toThrow(/already disposed/);
    expect(() => mx.add(a, 1)).toThrow(/add: a is an mx\.array that was already disposed/);
    expect(native.dispose(stale)).toBe(false);
    expect(isDisposed(next)).toBe(false);
    expect(next.toList()).toEqual([1, 1, 1]);
  });

  it('never takes a BigInt scalar for a handle', () => {
    const i64 = mx.array([1], 'int64');
    expect(mx.add(i64, 5n).toList()).toEqual([6]);
    expect(() => mx.add(i64, 2n ** 63n)).toThrow(/outside the int64 range/);
    // One carrying this thread's pool tag reads as a handle (here a stale one), refused all the same.
    expect(() => mx.add(i64, 2n ** 63n + 2n ** 56n)).toThrow(/already disposed|outside the int64 range/);
    expect(native.isArray(2n ** 63n)).toBe(false);
  });

  it('keeps the handle out of JSON', () => {
    expect(JSON.stringify({ a: mx.ones([1]) })).toBe('{"a":{"__mxArray":true}}');
  });

  it('rejects a handle-shaped object in an op', () => {
    expect(() => mx.add({ handle: {} } as never, 1)).toThrow(/expected an mx\.array or a number for a/);
  });
});

describe('memory without manual disposal', () => {
  it('stays flat over 10,000 steps making 5 GB of temporaries (GC finalizers + external-memory accounting)', () => {
    const r = runTsChild(join(children, 'lifetime-flat.ts'), ['10000']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { samples } = JSON.parse(r.stdout) as { samples: number[] };
    const warm = samples[2];
    // A leak grows by 500 MB a sample here. Arrays no scope owns die in V8's full collections (set off by
    // the external-memory count every ~64 MB), so the plateau moves by up to ~90 MB with their timing.
    expect(Math.max(...samples.slice(2)) - warm).toBeLessThan(160);
  });

  it('frees dropped arrays once collected, with no op after them', () => {
    const r = runTsChild(join(children, 'dropped-freed.ts'), [], ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { held, after } = JSON.parse(r.stdout) as { held: number; after: number };
    expect(held).toBeGreaterThanOrEqual(1000 * 65536);
    expect(after).toBeLessThan(65536);
  });

  it('counts arrays as V8 external memory only once they leave the tidy scopes that free them', () => {
    const r = runTsChild(join(children, 'scoped-gc.ts'), []);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const f = JSON.parse(r.stdout) as Record<string, number>;
    // 256 MB of temporaries inside a scope: not counted; the 16 MB it returns, the 8 MB kept in a nested
    // scope and 16 MB made outside are; disposing them takes them off again.
    expect(f).toMatchObject({ insideMb: 0, afterReturnMb: 16, afterKeepMb: 24, afterOutsideMb: 40, afterDisposeMb: 0 });
    // The loop's 64 MB of weights (swapped every step) counted once, plus what the throwing scope kept.
    expect(f.afterLoopMb).toBe(64);
    expect(f.afterThrowMb).toBe(72);
    // 20 steps of 80 MB of scoped activations: counting them set off a full collection every step (20).
    expect(f.majors).toBeLessThanOrEqual(5);
  });

  it('frees every array a scope made, those never wrapped in JS included', () => {
    const w = mx.ones([4]);
    const before = native.liveHandles();
    const out = mx.tidy(() => {
      const [loss, grad] = mx.valueAndGrad((v: mx.Array) => mx.sum(mx.multiply(v, v)))(w);
      mx.compile((v: mx.Array) => mx.exp(v))(w);
      return mx.add(loss, mx.sum(grad));
    });
    expect(native.liveHandles()).toBe(before + 1);
    expect(out.item()).toBe(12);
  });

  it('hands arrays that leave every scope, and traced placeholders, to the GC', () => {
    const r = runTsChild(join(children, 'gc-owned.ts'), [], ['--expose-gc']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout) as Record<string, number>;
    expect(c.escapingHeld).toBeGreaterThanOrEqual(c.base + 600);  // returned and kept arrays outlive their scopes
    expect(c.transforms).toBeLessThanOrEqual(c.base + 2);
    expect(c.escaping).toBeLessThanOrEqual(c.base + 2);
  });

  it('frees each array once when GC finalizers run after dispose and tidy', () => {
    const r = runTsChild(join(children, 'finalize-after-dispose.ts'), [], ['--expose-gc']);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.status).toBe(0);
  });
});
