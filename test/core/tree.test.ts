/** Tree utilities: dotted paths like mlx.utils, structure-preserving maps, errors naming paths. */
import { describe, expect, test } from 'vitest';
import { mx } from '../../src/index.js';

const a = (v: number[]) => mx.array(v, 'float32');

describe('treeFlatten / treeUnflatten', () => {
  test('dotted names from objects, lists and Maps', () => {
    const w = a([1]);
    const b = a([2]);
    const tree = { layers: [{ attention: { query: { weight: w } } }, new Map([['bias', b]])], scale: 3 };
    const flat = mx.treeFlatten(tree);
    expect(flat.map(([k]) => k)).toEqual(['layers.0.attention.query.weight', 'layers.1.bias', 'scale']);
    expect(flat[0][1]).toBe(w);
    expect(mx.treeFlatten(w)).toEqual([['', w]]);
    expect(mx.treeFlatten({ x: w }, { prefix: 'model' })[0][0]).toBe('model.x');
    expect(mx.treeFlatten({ x: { y: w } }, { isLeaf: (v) => v !== null && typeof v === 'object' && 'y' in (v as object) })[0][0]).toBe('x');
  });

  test('unflatten rebuilds lists from integer keys and objects otherwise', () => {
    const w = a([1]);
    const t = mx.treeUnflatten([['layers.0.w', w], ['layers.2.w', w], ['head', w]]) as any;
    expect(Array.isArray(t.layers)).toBe(true);
    expect(t.layers).toHaveLength(3);
    expect(t.layers[1]).toEqual({});
    expect(t.layers[2].w).toBe(w);
    expect(t.head).toBe(w);
    expect(mx.treeUnflatten([['', w]])).toBe(w);
    const round = { a: [w, { b: w }], c: w };
    expect(mx.treeUnflatten(mx.treeFlatten(round))).toEqual(round);
  });
});

describe('treeMap / treeMapWithPath / treeReduce', () => {
  test('maps several trees leaf by leaf and keeps the structure (Maps stay Maps)', () => {
    const t1 = { x: [1, 2], m: new Map([['k', 3]]) };
    const t2 = { x: [10, 20], m: new Map([['k', 30]]), extra: 'ignored' };
    const out = mx.treeMap((p: number, q: number) => p + q, t1, t2);
    expect(out.x).toEqual([11, 22]);
    expect(out.m).toBeInstanceOf(Map);
    expect(out.m.get('k')).toBe(33);
    const paths: string[] = [];
    mx.treeMapWithPath((path: string) => paths.push(path), t1);
    expect(paths).toEqual(['x.0', 'x.1', 'm.k']);
  });

  test('a second tree missing an entry is an error naming the path', () => {
    expect(() => mx.treeMap((p: number, q: number) => p + q, { x: [1, 2] }, { x: [1] })).toThrow(/tree 1 has no entry at 'x\.1'/);
    expect(() => mx.treeMap(3 as any, {})).toThrow(/expected a function/);
  });

  test('reduce with and without an initializer', () => {
    expect(mx.treeReduce((acc: number, v: number) => acc + v, { a: [1, 2], b: 3 }, 0)).toBe(6);
    expect(mx.treeReduce((acc: number, v: number) => acc * v, { a: [2, 3], b: 4 })).toBe(24);
    expect(() => mx.treeReduce((x: number) => x, {})).toThrow(/no leaves/);
  });

  test('treeArrays names the first non-array leaf by its dotted path', () => {
    expect(() => mx.treeArrays({ layers: [{ w: a([1]), act: 'gelu' }] }, 'the parameters')).toThrow(
      /expected an mx.array at 'layers\.0\.act' in the parameters but found 'gelu' \(string\)/,
    );
  });
});
