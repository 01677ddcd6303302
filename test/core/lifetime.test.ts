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
    expect(Math.max(...samples.slice(2)) - warm).toBeLessThan(64);
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

  it('frees each array once when GC finalizers run after dispose and tidy', () => {
    const r = runTsChild(join(children, 'finalize-after-dispose.ts'), [], ['--expose-gc']);
    expect(r.signal).toBeNull();
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ok');
    expect(r.status).toBe(0);
  });
});
