/**
 * Trees of arrays, as in mlx.utils: plain objects, JS arrays and Maps are inner nodes; everything else
 * (an mx.array, a number, a string, a class instance) is a leaf. Leaves are named by dotted paths
 * ('layers.0.attention.query.weight') built from object keys, list indices and Map keys.
 */
import { describeValue } from '../errors.js';
import { MxArray } from './array.js';

export type TreeLeafTest = (value: unknown) => boolean;

/** True for the containers a tree is made of (plain objects, arrays, Maps). */
export function isTreeNode(value: unknown): value is Record<string, unknown> | unknown[] | Map<unknown, unknown> {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value) || value instanceof Map) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function entriesOf(node: Record<string, unknown> | unknown[] | Map<unknown, unknown>): [string, unknown][] {
  if (Array.isArray(node)) return node.map((v, i) => [String(i), v]);
  if (node instanceof Map) return [...node.entries()].map(([k, v]) => [String(k), v]);
  return Object.entries(node);
}

const join = (prefix: string, key: string) => (prefix ? `${prefix}.${key}` : key);

/**
 * The leaves of `tree` with their dotted paths, depth first in key order (like mlx.utils.tree_flatten;
 * a lone leaf gets the path `prefix`).
 */
export function treeFlatten(tree: unknown, options: { prefix?: string; isLeaf?: TreeLeafTest } = {}): [string, unknown][] {
  const out: [string, unknown][] = [];
  const visit = (node: unknown, path: string) => {
    if ((options.isLeaf && options.isLeaf(node)) || !isTreeNode(node)) {
      out.push([path, node]);
      return;
    }
    for (const [k, v] of entriesOf(node)) visit(v, join(path, k));
  };
  visit(tree, options.prefix ?? '');
  return out;
}

/**
 * Rebuilds a tree from [path, leaf] pairs (the inverse of treeFlatten): levels whose keys are all
 * integers become arrays (gaps filled with {}), other levels plain objects.
 */
export function treeUnflatten(pairs: Iterable<[string, unknown]>): unknown {
  const list = [...pairs];
  if (list.length === 1 && list[0][0] === '') return list[0][1];
  const children = new Map<string, [string, unknown][]>();
  for (const [key, value] of list) {
    if (typeof key !== 'string') throw new TypeError(`treeUnflatten: expected string paths but received ${describeValue(key)}`);
    const dot = key.indexOf('.');
    const head = dot < 0 ? key : key.slice(0, dot);
    const rest = dot < 0 ? '' : key.slice(dot + 1);
    let group = children.get(head);
    if (!group) children.set(head, (group = []));
    group.push([rest, value]);
  }
  const keys = [...children.keys()];
  if (keys.length > 0 && /^\d+$/.test(keys[0])) {
    const out: unknown[] = [];
    for (const k of keys.map(Number).sort((a, b) => a - b)) {
      while (out.length < k) out.push({});
      out.push(treeUnflatten(children.get(String(k))!));
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = treeUnflatten(children.get(k)!);
  return out;
}

function childOf(node: unknown, key: string, index: number): { found: boolean; value: unknown } {
  if (Array.isArray(node)) return index < node.length ? { found: true, value: node[index] } : { found: false, value: undefined };
  if (node instanceof Map) {
    for (const [k, v] of node) if (String(k) === key) return { found: true, value: v };
    return { found: false, value: undefined };
  }
  if (isTreeNode(node) && Object.prototype.hasOwnProperty.call(node, key)) return { found: true, value: (node as Record<string, unknown>)[key] };
  return { found: false, value: undefined };
}

function mapAt(
  fn: (path: string, leaf: unknown, ...rest: unknown[]) => unknown,
  tree: unknown,
  rest: unknown[],
  path: string,
  isLeaf: TreeLeafTest | undefined,
): unknown {
  if ((isLeaf && isLeaf(tree)) || !isTreeNode(tree)) return fn(path, tree, ...rest);
  const restChild = (key: string, index: number) =>
    rest.map((r, i) => {
      const c = childOf(r, key, index);
      if (!c.found) {
        throw new TypeError(`treeMap: tree ${i + 1} has no entry at '${join(path, key)}' (expected the same structure as the first tree)`);
      }
      return c.value;
    });
  if (Array.isArray(tree)) return tree.map((v, i) => mapAt(fn, v, restChild(String(i), i), join(path, String(i)), isLeaf));
  if (tree instanceof Map) {
    const out = new Map();
    for (const [k, v] of tree) out.set(k, mapAt(fn, v, restChild(String(k), -1), join(path, String(k)), isLeaf));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = mapAt(fn, v, restChild(k, -1), join(path, k), isLeaf);
  return out;
}

/**
 * A tree of the same structure as `tree` with fn applied to each leaf, together with the matching
 * leaves of `rest` (trees with at least the same structure; a missing entry is an error naming its path).
 */
export function treeMap(fn: (leaf: any, ...rest: any[]) => unknown, tree: unknown, ...rest: unknown[]): any {
  if (typeof fn !== 'function') throw new TypeError(`treeMap: expected a function but received ${describeValue(fn)}`);
  return mapAt((_p, leaf, ...r) => fn(leaf, ...r), tree, rest, '', undefined);
}

/** treeMap whose fn also gets the leaf's dotted path first. */
export function treeMapWithPath(fn: (path: string, leaf: any, ...rest: any[]) => unknown, tree: unknown, ...rest: unknown[]): any {
  if (typeof fn !== 'function') throw new TypeError(`treeMapWithPath: expected a function but received ${describeValue(fn)}`);
  return mapAt(fn, tree, rest, '', undefined);
}

/** Folds the leaves of `tree` with fn(accumulator, leaf); without an initializer the first leaf starts it. */
export function treeReduce<A>(fn: (acc: A, leaf: any) => A, tree: unknown, initializer?: A, options: { isLeaf?: TreeLeafTest } = {}): A {
  if (typeof fn !== 'function') throw new TypeError(`treeReduce: expected a function but received ${describeValue(fn)}`);
  const leaves = treeFlatten(tree, { isLeaf: options.isLeaf }).map(([, v]) => v);
  let acc = initializer;
  let start = 0;
  if (acc === undefined) {
    if (leaves.length === 0) throw new TypeError('treeReduce: the tree has no leaves and no initializer was given');
    acc = leaves[0] as A;
    start = 1;
  }
  for (let i = start; i < leaves.length; i++) acc = fn(acc as A, leaves[i]);
  return acc as A;
}

/**
 * The array leaves of `tree` in flatten order; any other leaf is an error naming its dotted path
 * (`what` says which argument or tree this is).
 */
export function treeArrays(tree: unknown, what: string): MxArray[] {
  const out: MxArray[] = [];
  for (const [path, leaf] of treeFlatten(tree)) {
    if (!(leaf instanceof MxArray)) {
      const where = path ? ` at '${path}'` : '';
      throw new TypeError(`expected an mx.array${where} in ${what} but found ${describeValue(leaf)}`);
    }
    out.push(leaf);
  }
  return out;
}

/** `tree` with its array leaves replaced, in flatten order, by `arrays` (other leaves kept). */
export function treeReplaceArrays(tree: unknown, arrays: readonly unknown[]): any {
  let i = 0;
  const out = treeMap((leaf) => (leaf instanceof MxArray ? arrays[i++] : leaf), tree);
  if (i !== arrays.length) throw new RangeError(`treeReplaceArrays: the tree holds ${i} arrays but ${arrays.length} were given`);
  return out;
}
