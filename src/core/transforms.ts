/**
 * Function transforms over trees of arrays: grad, valueAndGrad, vjp, jvp, checkpoint, compile.
 *
 * MLX traces a function by calling it with placeholder arrays; here the native side sees only flat lists
 * of arrays and this module flattens arguments into them and rebuilds trees around the placeholders.
 *
 * Auxiliary outputs follow MLX's convention: a function given to grad/valueAndGrad returns either a
 * scalar loss, or an array `[loss, ...aux]` whose first element is differentiated and whose other
 * elements (any trees) come back untouched in the value.
 */
import { spawnSync } from 'node:child_process';
import { describeValue } from '../errors.js';
import { MxArray } from './array.js';
import { native, type Handle } from './binding.js';
import type { TracedFn } from '../native/bindings/transforms.js';
import { wrap, wrapMany } from './handle.js';
import { recordInputChecks, runInputChecks, type InputCheck } from './input-checks.js';
import { tidy } from './scope.js';
import * as random from './random.js';
import { isTreeNode, treeArrays, treeFlatten, treeMap, treeReplaceArrays } from './tree.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;

function requireFunction(fn: unknown, op: string): asserts fn is AnyFn {
  if (typeof fn !== 'function') {
    const err = new TypeError(`${op}: expected a function but received ${describeValue(fn)}`);
    (err as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  }
}

/**
 * Runs fn in a scope that frees the placeholder arrays it creates, keeping what it returns. The inputs
 * are wrapped before the scope opens: they were made before it, so the scope does not own them (the
 * enclosing scope or the GC frees them).
 */
function traced(body: (inputs: MxArray[]) => MxArray[]): TracedFn {
  return (hs: Handle[]) => {
    tracingDepth++;
    try {
      const inputs = wrapMany(hs);
      return tidy(() => body(inputs)).map((a) => a.handle);
    } finally {
      tracingDepth--;
    }
  };
}

let tracingDepth = 0;

/** True while a transform is tracing a function (its arrays are placeholders without values). */
export function isTracing(): boolean {
  return tracingDepth > 0;
}

function scalarLoss(loss: MxArray): MxArray {
  if (loss.ndim !== 0) throw new TypeError(`valueAndGrad: the loss must be a scalar array but has shape [${loss.shape.join(',')}]`);
  return loss;
}

function normalizeArgnums(op: string, argnums: unknown, nargs: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : argnums;
  if (!Array.isArray(list) || list.length === 0 || !list.every((n) => Number.isInteger(n))) {
    throw new TypeError(`${op}: expected an integer or a non-empty array of integers for argnums but received ${describeValue(argnums)}`);
  }
  const out = list.map((n: number) => (n < 0 ? n + nargs : n));
  out.forEach((n: number, i: number) => {
    if (n < 0 || n >= nargs) {
      throw new RangeError(`${op}: argnums ${list[i]} is out of range for a call with ${nargs} argument${nargs === 1 ? '' : 's'}`);
    }
  });
  if (new Set(out).size !== out.length) throw new RangeError(`${op}: argnums ${JSON.stringify(list)} repeats an argument`);
  return out;
}

export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). A number gives one
   * gradient tree; an array gives an array of trees. */
  argnums?: number | number[];
}

/**
 * Returns a function computing `[value, grads]` of `fn`. `fn` takes trees of arrays (plain objects, arrays,
 * Maps) and returns a scalar loss or `[loss, ...aux]`; grads has the structure of the selected arguments.
 */
export function valueAndGrad<F extends AnyFn>(fn: F, argnums: number | number[] | GradOptions = 0): (...args: Parameters<F>) => [ReturnType<F>, any] {
  requireFunction(fn, 'valueAndGrad');
  const spec = typeof argnums === 'object' && !Array.isArray(argnums) ? (argnums.argnums ?? 0) : argnums;
  return (...args: Parameters<F>) => {
    const nums = normalizeArgnums('valueAndGrad', spec, args.length);
    const leavesPerArg = nums.map((n) => treeArrays(args[n], `argument ${n} of the differentiated function`));
    const inputs = leavesPerArg.flat();
    let auxTemplate: unknown[] | undefined;
    const body = traced((xs) => {
      const callArgs = [...args];
      let at = 0;
      nums.forEach((n, i) => {
        const count = leavesPerArg[i].length;
        callArgs[n] = treeReplaceArrays(args[n], xs.slice(at, at + count));
        at += count;
      });
      const out = fn(...callArgs);
      if (out instanceof MxArray) {
        auxTemplate = undefined;
        return [scalarLoss(out)];
      }
      if (Array.isArray(out) && out.length > 0 && out[0] instanceof MxArray) {
        auxTemplate = out.slice(1);
        return [scalarLoss(out[0]), ...arraysIn(auxTemplate)];
      }
      throw new TypeError(`valueAndGrad: the function must return a scalar mx.array or [loss, ...aux] but returned ${describeValue(out)}`);
    });
    const [outs, grads] = native.valueAndGrad(body, inputs.map((a) => a.handle), inputs.map((_, i) => i));
    const loss = wrap(outs[0]);
    const value = auxTemplate === undefined ? loss : [loss, ...treeReplaceArrays(auxTemplate, wrapMany(outs.slice(1)))];
    const gradArrays = wrapMany(grads);
    let at = 0;
    const gradTrees = nums.map((n, i) => {
      const count = leavesPerArg[i].length;
      const tree = treeReplaceArrays(args[n], gradArrays.slice(at, at + count));
      at += count;
      return tree;
    });
    return [value as ReturnType<F>, typeof spec === 'number' ? gradTrees[0] : gradTrees];
  };
}

/** The array leaves of a tree whose other leaves are constants. */
function arraysIn(tree: unknown): MxArray[] {
  return treeFlatten(tree).flatMap(([, v]) => (v instanceof MxArray ? [v] : []));
}

/** Returns a function computing the gradients of `fn` (see valueAndGrad). */
export function grad<F extends AnyFn>(fn: F, argnums: number | number[] | GradOptions = 0): (...args: Parameters<F>) => any {
  requireFunction(fn, 'grad');
  const vg = valueAndGrad(fn, argnums);
  return (...args: Parameters<F>) => vg(...args)[1];
}

function arrayList(op: string, name: string, v: unknown): MxArray[] {
  if (!Array.isArray(v) || !v.every((a) => a instanceof MxArray)) {
    throw new TypeError(`${op}: expected an array of mx.arrays for ${name} but received ${describeValue(v)}`);
  }
  return v;
}

function outputList(op: string, out: unknown): MxArray[] {
  if (out instanceof MxArray) return [out];
  if (Array.isArray(out) && out.every((a) => a instanceof MxArray)) return out;
  throw new TypeError(`${op}: the function must return an mx.array or an array of mx.arrays but returned ${describeValue(out)}`);
}

/**
 * The vector-Jacobian product: `[outputs, vjps]` of `fn(...primals)` for the output cotangents.
 * `fn` takes the primals as positional arrays and returns an array or an array of arrays.
 */
export function vjp(fn: (...primals: MxArray[]) => MxArray | MxArray[], primals: MxArray[], cotangents: MxArray[]): [MxArray[], MxArray[]] {
  requireFunction(fn, 'vjp');
  const p = arrayList('vjp', 'primals', primals);
  const c = arrayList('vjp', 'cotangents', cotangents);
  const [outs, vjps] = native.vjp(traced((xs) => outputList('vjp', fn(...xs))), p.map((a) => a.handle), c.map((a) => a.handle));
  return [wrapMany(outs), wrapMany(vjps)];
}

/** The Jacobian-vector product: `[outputs, jvps]` of `fn(...primals)` along the input tangents. */
export function jvp(fn: (...primals: MxArray[]) => MxArray | MxArray[], primals: MxArray[], tangents: MxArray[]): [MxArray[], MxArray[]] {
  requireFunction(fn, 'jvp');
  const p = arrayList('jvp', 'primals', primals);
  const t = arrayList('jvp', 'tangents', tangents);
  const [outs, jvps] = native.jvp(traced((xs) => outputList('jvp', fn(...xs))), p.map((a) => a.handle), t.map((a) => a.handle));
  return [wrapMany(outs), wrapMany(jvps)];
}

// ---- functions of trees traced once per argument structure (checkpoint, compile) ----

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

/**
 * A key that is equal for two argument lists exactly when they flatten to the same paths with arrays in
 * the same places and equal non-array leaves (primitives by value, objects by identity): a traced
 * graph is valid for every call with the same key.
 */
function structureKey(tree: unknown): string {
  return JSON.stringify(
    treeFlatten(tree).map(([path, v]) => {
      if (v instanceof MxArray) return [path, 'A'];
      if (v !== null && (typeof v === 'object' || typeof v === 'function')) {
        let id = objectIds.get(v);
        if (id === undefined) objectIds.set(v, (id = nextObjectId++));
        return [path, 'O', id];
      }
      return [path, typeof v, typeof v === 'bigint' ? String(v) : v === undefined ? null : v];
    }),
  ).concat(nodeKinds(tree));
}

function nodeKinds(tree: unknown): string {
  if (!isTreeNode(tree)) return '';
  const kind = Array.isArray(tree) ? '[' : tree instanceof Map ? 'M' : '{';
  const kids = Array.isArray(tree) ? tree : tree instanceof Map ? [...tree.values()] : Object.values(tree);
  return `${kind}${kids.map(nodeKinds).join(',')}`;
}

/** Outputs of a traced tree function: the arrays to hand MLX, and how to rebuild the tree around them. */
interface OutputTemplate {
  tree: unknown;
  count: number;
}

function templateOf(op: string, out: unknown): { template: OutputTemplate; arrays: MxArray[] } {
  const arrays = treeFlatten(out).flatMap(([, v]) => (v instanceof MxArray ? [v] : []));
  if (!(out instanceof MxArray) && !isTreeNode(out) && out !== undefined) {
    throw new TypeError(`${op}: the function must return an mx.array, a tree of arrays or nothing but returned ${describeValue(out)}`);
  }
  return { template: { tree: out, count: arrays.length }, arrays };
}

/**
 * Wraps `fn` so its backward pass recomputes its intermediates instead of storing them (less memory,
 * more compute). Arguments and results may be trees of arrays.
 */
export function checkpoint<F extends AnyFn>(fn: F): F {
  requireFunction(fn, 'checkpoint');
  const byStructure = new Map<string, { run: TracedFn; out?: OutputTemplate }>();
  const wrapped = (...args: unknown[]) => {
    const inputs = arraysIn(args);
    const key = structureKey(args);
    let entry = byStructure.get(key);
    if (!entry) {
      const e: { run: TracedFn; out?: OutputTemplate } = { run: undefined as unknown as TracedFn };
      e.run = native.checkpoint(
        traced((xs) => {
          const { template, arrays } = templateOf('checkpoint', fn(...treeReplaceArrays(args, xs)));
          e.out = template;
          return arrays;
        }),
      );
      byStructure.set(key, (entry = e));
    }
    const outs = wrapMany(entry.run(inputs.map((a) => a.handle)));
    return treeReplaceArrays(entry.out!.tree, outs);
  };
  return wrapped as F;
}

/**
 * A place compiled functions read state from and write new state back to. Plain trees (objects, arrays,
 * Maps) are read and updated in place; a StateRef reads and replaces a whole tree (e.g. a model's
 * parameters or the random generator's key).
 */
export interface StateRef {
  get(): unknown;
  set(tree: unknown): void;
}

/** The global random key as compile state: pass it in `inputs` and `outputs` when fn draws random numbers. */
export const randomState: StateRef = {
  get: () => random.getState(),
  set: (key) => random.setState(key as MxArray),
};

function isStateRef(v: unknown): v is StateRef {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map) && typeof (v as StateRef).get === 'function' && typeof (v as StateRef).set === 'function';
}

/** The state trees named by `spec` (a tree, a StateRef, or an array of those), read now. */
function readState(spec: unknown): unknown[] {
  const items = Array.isArray(spec) && spec.some(isStateRef) ? spec : [spec];
  return items.map((s) => (isStateRef(s) ? s.get() : s));
}

function writeState(spec: unknown, trees: unknown[]): void {
  const items = Array.isArray(spec) && spec.some(isStateRef) ? spec : [spec];
  items.forEach((s, i) => {
    if (isStateRef(s)) s.set(trees[i]);
    else replaceInPlace(s, trees[i]);
  });
}

/** Writes the leaves of `source` into the mutable tree `target` (same structure). */
function replaceInPlace(target: unknown, source: unknown): void {
  if (!isTreeNode(target) || target === source) return;
  if (Array.isArray(target)) {
    (source as unknown[]).forEach((v, i) => {
      if (isTreeNode(target[i]) && isTreeNode(v)) replaceInPlace(target[i], v);
      else target[i] = v;
    });
  } else if (target instanceof Map) {
    for (const [k, v] of source as Map<unknown, unknown>) {
      const cur = target.get(k);
      if (isTreeNode(cur) && isTreeNode(v)) replaceInPlace(cur, v);
      else target.set(k, v);
    }
  } else {
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      const cur = (target as Record<string, unknown>)[k];
      if (isTreeNode(cur) && isTreeNode(v)) replaceInPlace(cur, v);
      else (target as Record<string, unknown>)[k] = v;
    }
  }
}

export interface CompileOptions {
  /** State read implicitly by the function (trees or StateRefs), e.g. `[model, optimizer.state]`. */
  inputs?: unknown;
  /** State the function updates; read after tracing and written back after every call. */
  outputs?: unknown;
  /** Reuse the compiled graph when input shapes change (only for shape-independent functions). */
  shapeless?: boolean;
}

let compilerChecked: { path: string | undefined; available: boolean } | undefined;
let compilerWarned = false;

/**
 * Whether the C++ compiler MLX's CPU backend uses to build fused kernels is on PATH (MLX runs `g++`
 * through the shell and silently runs compiled functions unfused without it).
 */
export function compilerAvailable(): boolean {
  const path = process.env.PATH;
  if (compilerChecked?.path !== path) {
    const r = spawnSync('/bin/sh', ['-c', 'g++ --version > /dev/null 2>&1'], { stdio: 'ignore' });
    compilerChecked = { path, available: r.status === 0 };
  }
  return compilerChecked!.available;
}

function warnIfNoCompiler(): void {
  if (compilerWarned || compilerAvailable()) return;
  compilerWarned = true;
  process.emitWarning(
    'mx.compile: no g++ on PATH, so MLX runs compiled functions without fusing kernels on the CPU (correct but slower). Install g++ to enable fusion; `mlx-train doctor` reports this.',
    { code: 'MLX_TRAIN_NO_COMPILER' },
  );
}

/** Turns compilation off for every compiled function (they run as plain functions) or back on. */
export function disableCompile(): void {
  native.disableCompile();
}
export function enableCompile(): void {
  native.enableCompile();
}

/**
 * Compiles `fn`: the first call for each argument structure traces it, later calls replay the optimized
 * graph. Arguments and results may be trees of arrays; non-array arguments are constants of the trace.
 * State that fn reads or updates without taking it as an argument must be named in `inputs`/`outputs`
 * (as in `mx.compile(step, inputs=state, outputs=state)`): otherwise its values are frozen into the graph.
 */
export function compile<F extends AnyFn>(fn: F, options: CompileOptions = {}): F {
  requireFunction(fn, 'compile');
  if (options === null || typeof options !== 'object') throw new TypeError(`compile: expected an options object but received ${describeValue(options)}`);
  for (const k of Object.keys(options)) {
    if (!['inputs', 'outputs', 'shapeless'].includes(k)) throw new TypeError(`compile: unknown option '${k}' (expected inputs, outputs or shapeless)`);
  }
  const shapeless = options.shapeless === true;
  const hasIn = options.inputs !== undefined;
  const hasOut = options.outputs !== undefined;
  interface Entry {
    run: TracedFn;
    /** The call being made: a retrace (new shapes) must see this call's arguments and state. */
    args: unknown[];
    stateIn: unknown[];
    out?: OutputTemplate;
    stateOut?: unknown[];
    /** Index checks on inputs, recorded while tracing, run on every call (input-checks.ts). */
    checks: Map<string, InputCheck>;
  }
  const byStructure = new Map<string, Entry>();
  const copyTree = (t: unknown) => treeMap((v) => v, t);

  const trace = (e: Entry) =>
    traced((xs) => recordInputChecks(xs, e.checks, () => {
      const nArgs = arraysIn(e.args).length;
      const callArgs = treeReplaceArrays(e.args, xs.slice(0, nArgs)) as unknown[];
      // fn sees placeholders in the captured state while it is traced; the real arrays go back afterwards.
      const savedOut = hasOut ? readState(options.outputs).map(copyTree) : [];
      if (hasIn) writeState(options.inputs, treeReplaceArrays(e.stateIn, xs.slice(nArgs)));
      try {
        const { template, arrays } = templateOf('compile', fn(...callArgs));
        e.out = template;
        let stateOutArrays: MxArray[] = [];
        if (hasOut) {
          e.stateOut = readState(options.outputs).map(copyTree);
          stateOutArrays = treeArrays(e.stateOut, "the compiled function's outputs state");
        }
        return [...arrays, ...stateOutArrays];
      } finally {
        if (hasOut) writeState(options.outputs, savedOut);
        if (hasIn) writeState(options.inputs, e.stateIn);
      }
    }));

  const compiled = (...args: unknown[]) => {
    warnIfNoCompiler();
    const stateIn = hasIn ? readState(options.inputs).map(copyTree) : [];
    const stateOutBefore = hasOut ? readState(options.outputs) : [];
    const argArrays = arraysIn(args);
    const stateArrays = treeArrays(stateIn, "the compiled function's inputs state");
    const key = `${structureKey(args)}|${structureKey(stateIn)}|${structureKey(stateOutBefore)}`;
    let entry = byStructure.get(key);
    if (!entry) {
      const e: Entry = { run: undefined as unknown as TracedFn, args, stateIn, checks: new Map() };
      e.run = native.compile(trace(e), shapeless);
      byStructure.set(key, (entry = e));
    }
    entry.args = args;
    entry.stateIn = stateIn;
    let outs: MxArray[];
    const inputs = [...argArrays, ...stateArrays];
    try {
      outs = wrapMany(entry.run(inputs.map((a) => a.handle)));
    } finally {
      entry.args = [];
      entry.stateIn = [];
    }
    // The outputs are lazy: a failed check throws before anything reads out of bounds.
    try {
      runInputChecks(entry.checks, inputs);
    } catch (err) {
      for (const o of outs) o.dispose();
      throw err;
    }
    const n = entry.out!.count;
    if (hasOut) writeState(options.outputs, treeReplaceArrays(entry.stateOut, outs.slice(n)));
    return treeReplaceArrays(entry.out!.tree, outs.slice(0, n));
  };
  return compiled as F;
}
