/**
 * nn.Module: the base class of every layer, following mlx.nn.Module in camelCase.
 *
 * A module's state is its own enumerable properties: mx.arrays are parameters, Modules are children, and
 * plain objects / JS arrays holding either are walked as trees (so `this.layers = [a, b]` yields
 * `layers.0.weight`, as a Python list does in mlx.nn). Properties whose names start with '_' and every
 * other value (numbers, strings, functions, the `training` flag) are configuration, not state.
 *
 * Subclasses implement `forward(...)`; JS has no callable objects, so `layer.forward(x)` is `layer(x)`.
 * Build modules outside `mx.tidy` (or `mx.keep` them): a scope frees the parameter arrays it created.
 */
import { MxArray } from '../core/array.js';
import { isTreeNode, treeFlatten, treeUnflatten } from '../core/tree.js';
import { loadSafetensors, saveSafetensors } from '../core/io.js';
import { formatShape } from '../core/op-args.js';
import { CheckpointError, describeValue } from '../errors.js';

type Tree = Record<string, unknown>;
type ModuleFilter = (module: Module, key: string, value: unknown) => boolean;

/** A parameter tree or weight file that does not fit a module (a CheckpointError with code WEIGHTS_MISMATCH). */
const weightsError = (message: string): CheckpointError => new CheckpointError(message, {}, 'WEIGHTS_MISMATCH');

const isContainer = (v: unknown): v is Tree | unknown[] => isTreeNode(v) && !(v instanceof Map);

function globToRegExp(glob: string): RegExp {
  // '**' spans dots, '*' stays inside one dotted segment.
  const body = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^.]*').replace(/\u0000/g, '.*');
  return new RegExp(`^${body}$`);
}

export interface FreezeOptions {
  /** Also (un)freeze the parameters of child modules (default true). */
  recurse?: boolean;
  /** Only these local parameter names (e.g. 'bias'), in every module visited. */
  keys?: string | string[];
  /** Only parameters whose dotted path from this module matches: a RegExp, or a glob ('*' within a
   * segment, '**' across segments), e.g. 'layers.*.attention.**'. */
  pattern?: RegExp | string;
  /** With `keys`: error if a key names no member of any visited module (default false). */
  strict?: boolean;
}

export interface LoadWeightsOptions {
  /** Require exactly the model's parameter names with the model's shapes (default true). */
  strict?: boolean;
}

export abstract class Module {
  /** Whether layers like Dropout are in training mode (see train()/eval()). */
  training = true;
  /** Local parameter names excluded from trainableParameters(). */
  protected _noGrad = new Set<string>();

  /** The computation of the layer. */
  abstract forward(...args: any[]): any;

  /** Extra text inside the parentheses of toString(), e.g. 'inputDims=4, outputDims=2'. */
  protected extraRepr(): string {
    return '';
  }

  /** The name used in messages and toString(): the class name plus extraRepr(). */
  describe(): string {
    return `${this.constructor.name}(${this.extraRepr()})`;
  }

  /** The members that may hold state: own enumerable properties not starting with '_' (and not `training`). */
  protected stateEntries(): [string, unknown][] {
    return Object.entries(this).filter(([k]) => !k.startsWith('_') && k !== 'training');
  }

  /**
   * The members kept by `filter`, with Modules and containers walked recursively and leaves passed
   * through `map` (mlx.nn.Module.filter_and_map).
   */
  filterAndMap(filter: ModuleFilter, map: (v: unknown) => unknown = (v) => v, isLeaf?: ModuleFilter): Tree {
    const leaf: ModuleFilter = isLeaf ?? ((_m, _k, v) => !(v instanceof Module) && !isContainer(v));
    const unwrap = (owner: Module, key: string, value: unknown): unknown => {
      if (leaf(owner, key, value)) return map(value);
      if (value instanceof Module) return value.filterAndMap(filter, map, isLeaf);
      if (Array.isArray(value)) {
        const out: unknown[] = [];
        value.forEach((v, i) => {
          const k = `${key}.${i}`;
          if (filter(owner, k, v)) out.push(unwrap(owner, k, v));
        });
        return out;
      }
      const out: Tree = {};
      for (const [kk, v] of Object.entries(value as Tree)) {
        const k = `${key}.${kk}`;
        if (filter(owner, k, v)) out[kk] = unwrap(owner, k, v);
      }
      return out;
    };
    const out: Tree = {};
    for (const [k, v] of this.stateEntries()) if (filter(this, k, v)) out[k] = unwrap(this, k, v);
    return out;
  }

  static isModule(value: unknown): value is Module {
    return value instanceof Module;
  }

  static validParameterFilter: ModuleFilter = (_m, key, value) =>
    (value instanceof MxArray || value instanceof Module || isContainer(value)) && !key.startsWith('_');

  static trainableParameterFilter: ModuleFilter = (m, key, value) => Module.validParameterFilter(m, key, value) && !m._noGrad.has(key);

  static validChildFilter: ModuleFilter = (_m, _key, value) => value instanceof Module || isContainer(value);

  /** Every parameter array of this module and its children, as a nested tree. */
  parameters(): Tree {
    return this.filterAndMap(Module.validParameterFilter);
  }

  /** The parameters not frozen, as a nested tree (what gradients are taken with respect to). */
  trainableParameters(): Tree {
    return this.filterAndMap(Module.trainableParameterFilter);
  }

  /** The direct child modules (inside lists and objects too), as a tree with Modules as leaves. */
  children(): Tree {
    return this.filterAndMap(Module.validChildFilter, undefined, (_m, _k, v) => v instanceof Module);
  }

  /** [dottedPath, module] for this module ('') and every descendant, deepest-last order as in mlx.nn. */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    const visit = (path: string, m: Module) => {
      out.push([path, m]);
      for (const [p, child] of treeFlatten(m.children(), { isLeaf: (v) => v instanceof Module })) {
        if (child instanceof Module) visit(path ? `${path}.${p}` : p, child);
      }
    };
    visit('', this);
    return out.reverse();
  }

  /** Every module in the tree (this one included). */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** The modules without child modules, as a tree of Modules. */
  leafModules(): Tree {
    const hasChildren = (m: Module) => treeFlatten(m.children(), { isLeaf: (v) => v instanceof Module }).some(([, v]) => v instanceof Module);
    return this.filterAndMap(Module.validChildFilter, undefined, (_m, _k, v) => v instanceof Module && !hasChildren(v));
  }

  /**
   * Replaces parameters from a tree shaped like parameters() (a subset is fine). With `strict` (default),
   * a key the module lacks or a non-array leaf is an error naming its dotted path.
   */
  update(parameters: Tree, strict = true): this {
    if (!isContainer(parameters) || Array.isArray(parameters)) {
      throw new TypeError(`${this.describe()}.update: expected a tree of parameters (a plain object) but received ${describeValue(parameters)}`);
    }
    const apply = (dst: Module | Tree | unknown[], src: unknown, path: string): void => {
      const entries: [string, unknown][] = Array.isArray(src) ? src.map((v, i) => [String(i), v]) : Object.entries(src as Tree);
      for (const [k, next] of entries) {
        const where = path ? `${path}.${k}` : k;
        const holder = dst as Record<string, unknown>;
        const has = dst instanceof Module ? Object.prototype.hasOwnProperty.call(dst, k) && !k.startsWith('_') : k in holder;
        if (!has) {
          if (strict) throw weightsError(`${this.describe()}.update: the module has no parameter named '${where}'`);
          continue;
        }
        const cur = holder[k];
        if (cur instanceof MxArray || cur === null || cur === undefined) {
          if (next instanceof MxArray) holder[k] = next;
          else if (strict) {
            throw weightsError(`${this.describe()}.update: expected an mx.array for parameter '${where}' but received ${describeValue(next)}`);
          }
        } else if (cur instanceof Module || isContainer(cur)) {
          if (isContainer(next)) apply(cur as Module | Tree, next, where);
          else if (strict) {
            throw weightsError(`${this.describe()}.update: expected a tree for '${where}' (it holds ${cur instanceof Module ? cur.describe() : 'a container'}) but received ${describeValue(next)}`);
          }
        } else if (strict) {
          throw weightsError(`${this.describe()}.update: '${where}' is not a parameter (it holds ${describeValue(cur)})`);
        }
      }
    };
    apply(this, parameters, '');
    return this;
  }

  /** Replaces child modules from a tree of Modules (e.g. the result of leafModules() with some swapped). */
  updateModules(modules: Tree, strict = true): this {
    const apply = (dst: Module | Tree | unknown[], src: unknown, path: string): void => {
      const entries: [string, unknown][] = Array.isArray(src) ? src.map((v, i) => [String(i), v]) : Object.entries(src as Tree);
      for (const [k, next] of entries) {
        const where = path ? `${path}.${k}` : k;
        const holder = dst as Record<string, unknown>;
        if (!(k in holder)) {
          if (strict) throw weightsError(`${this.describe()}.updateModules: no member named '${where}'`);
          continue;
        }
        const cur = holder[k];
        if (next instanceof Module) holder[k] = next;
        else if (isContainer(next) && (cur instanceof Module || isContainer(cur))) apply(cur as Module | Tree, next, where);
        else if (strict && !(isContainer(next) && Object.keys(next).length === 0)) {
          throw weightsError(`${this.describe()}.updateModules: expected a Module or a tree of Modules at '${where}' but received ${describeValue(next)}`);
        }
      }
    };
    apply(this, modules, '');
    return this;
  }

  /** Maps every parameter (kept by `filter`, all by default) through fn and writes the results back. */
  apply(fn: (a: MxArray) => MxArray, filter: ModuleFilter = Module.validParameterFilter): this {
    return this.update(this.filterAndMap(filter, (v) => (v instanceof MxArray ? fn(v) : v)), false);
  }

  /** Calls fn(path, module) for this module and every descendant, parents first. */
  applyToModules(fn: (path: string, module: Module) => void): this {
    const stack: [string, Module][] = [['', this]];
    while (stack.length > 0) {
      const [path, m] = stack.pop()!;
      fn(path, m);
      for (const [p, child] of treeFlatten(m.children(), { isLeaf: (v) => v instanceof Module })) {
        if (child instanceof Module) stack.push([path ? `${path}.${p}` : p, child]);
      }
    }
    return this;
  }

  /** Names of this module's own parameters (not those of child modules), as dotted paths. */
  private localParameterKeys(): string[] {
    const own = this.filterAndMap((m, k, v) => !(v instanceof Module) && Module.validParameterFilter(m, k, v));
    return treeFlatten(own).filter(([, v]) => v instanceof MxArray).map(([k]) => k);
  }

  private setFrozen(frozen: boolean, options: FreezeOptions, op: string): this {
    for (const k of Object.keys(options)) {
      if (!['recurse', 'keys', 'pattern', 'strict'].includes(k)) throw new TypeError(`${op}: unknown option '${k}' (expected recurse, keys, pattern or strict)`);
    }
    const { recurse = true, strict = false } = options;
    const keys = options.keys === undefined ? undefined : Array.isArray(options.keys) ? options.keys : [options.keys];
    const pattern = options.pattern === undefined ? undefined : typeof options.pattern === 'string' ? globToRegExp(options.pattern) : options.pattern;
    if (pattern !== undefined && !(pattern instanceof RegExp)) throw new TypeError(`${op}: expected a RegExp or glob string for pattern but received ${describeValue(options.pattern)}`);
    const targets: [string, Module][] = recurse ? this.namedModules() : [['', this]];
    if (strict && keys) {
      for (const key of keys) {
        if (!targets.some(([, m]) => m.localParameterKeys().some((k) => k === key || k.startsWith(`${key}.`)))) {
          throw weightsError(`${op}: no module has a parameter named '${key}'`);
        }
      }
    }
    for (const [path, m] of targets) {
      for (const local of m.localParameterKeys()) {
        const top = local.split('.')[0];
        if (keys && !keys.includes(top) && !keys.includes(local)) continue;
        if (pattern && !pattern.test(path ? `${path}.${local}` : local)) continue;
        if (frozen) m._noGrad.add(top);
        else m._noGrad.delete(top);
      }
    }
    return this;
  }

  /** Excludes parameters from trainableParameters(): all, by local key names, or by a dotted-path pattern. */
  freeze(options: FreezeOptions = {}): this {
    return this.setFrozen(true, options, `${this.describe()}.freeze`);
  }

  /** Makes frozen parameters trainable again (same selection options as freeze). */
  unfreeze(options: FreezeOptions = {}): this {
    return this.setFrozen(false, options, `${this.describe()}.unfreeze`);
  }

  /** Sets training mode on this module and every descendant. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode (train(false)). */
  eval(): this {
    return this.train(false);
  }

  /** The total number of parameter values. */
  numParameters(): number {
    return treeFlatten(this.parameters()).reduce((n, [, v]) => n + (v instanceof MxArray ? v.size : 0), 0);
  }

  /** The number of trainable (not frozen) parameter values. */
  numTrainableParameters(): number {
    return treeFlatten(this.trainableParameters()).reduce((n, [, v]) => n + (v instanceof MxArray ? v.size : 0), 0);
  }

  /**
   * Loads parameters from a .safetensors file or a list of [dottedName, array]. Strict loading (the
   * default) checks names and shapes first and reports every missing, unexpected and mis-shaped key in
   * one error; `strict: false` loads whatever matches by name.
   */
  loadWeights(fileOrWeights: string | [string, MxArray][], options: LoadWeightsOptions = {}): this {
    const op = `${this.describe()}.loadWeights`;
    for (const k of Object.keys(options)) if (k !== 'strict') throw new TypeError(`${op}: unknown option '${k}' (expected strict)`);
    let weights: [string, unknown][];
    const source = typeof fileOrWeights === 'string' ? `'${fileOrWeights}'` : 'the given weights';
    if (typeof fileOrWeights === 'string') weights = Object.entries(loadSafetensors(fileOrWeights).arrays);
    else if (Array.isArray(fileOrWeights)) {
      weights = fileOrWeights.map((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
          throw new TypeError(`${op}: expected [name, mx.array] pairs but entry ${i} is ${describeValue(pair)}`);
        }
        return pair as [string, unknown];
      });
    } else throw new TypeError(`${op}: expected a file path or a list of [name, mx.array] pairs but received ${describeValue(fileOrWeights)}`);

    if (options.strict ?? true) {
      const given = new Map(weights);
      const current = new Map(treeFlatten(this.parameters()).filter(([, v]) => v instanceof MxArray) as [string, MxArray][]);
      const unexpected = [...given.keys()].filter((k) => !current.has(k)).sort();
      const missing = [...current.keys()].filter((k) => !given.has(k)).sort();
      const wrong: string[] = [];
      for (const [k, cur] of current) {
        if (!given.has(k)) continue;
        const v = given.get(k);
        if (!(v instanceof MxArray)) wrong.push(`  ${k}: expected an mx.array of shape ${formatShape(cur.shape)} but received ${describeValue(v)}`);
        else if (formatShape(v.shape) !== formatShape(cur.shape)) wrong.push(`  ${k}: expected shape ${formatShape(cur.shape)} but received ${formatShape(v.shape)}`);
      }
      if (unexpected.length + missing.length + wrong.length > 0) {
        const parts: string[] = [`${op}: ${source} do not match the model`];
        if (missing.length) parts.push(`missing ${missing.length} parameter(s):\n${missing.map((k) => `  ${k} ${formatShape(current.get(k)!.shape)}`).join('\n')}`);
        if (unexpected.length) {
          parts.push(`unexpected ${unexpected.length} parameter(s):\n${unexpected.map((k) => {
            const v = given.get(k);
            return `  ${k} ${v instanceof MxArray ? formatShape(v.shape) : describeValue(v)}`;
          }).join('\n')}`);
        }
        if (wrong.length) parts.push(`mis-shaped ${wrong.length} parameter(s):\n${wrong.join('\n')}`);
        parts.push('(pass { strict: false } to load only the matching names)');
        throw weightsError(parts.join('\n'));
      }
    }
    if (weights.length > 0) this.update(treeUnflatten(weights) as Tree, false);
    return this;
  }

  /** Writes every parameter to a .safetensors file under its dotted name. */
  saveWeights(file: string): void {
    if (typeof file !== 'string' || !file.endsWith('.safetensors')) {
      throw new TypeError(`${this.describe()}.saveWeights: expected a path ending in .safetensors but received ${describeValue(file)}`);
    }
    const flat = treeFlatten(this.parameters()).filter(([, v]) => v instanceof MxArray) as [string, MxArray][];
    saveSafetensors(file, Object.fromEntries(flat));
  }

  /** The module tree, one child per line, like mlx.nn's repr. */
  toString(): string {
    const kids = treeFlatten(this.children(), { isLeaf: (v) => v instanceof Module }).filter(([, v]) => v instanceof Module) as [string, Module][];
    const lines = kids.map(([k, m]) => `\n  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${this.constructor.name}(${this.extraRepr()}${lines.join('')}${lines.length ? '\n' : ''})`;
  }
}
