/**
 * The Optimizer base class, with mlx.optimizers semantics: the state is a tree of arrays
 * `{step, learning_rate, ...hyperparameters, <one entry per parameter path>}` that mirrors the
 * parameter tree, so it can be saved with treeFlatten and restored exactly through the `state` setter.
 */
import { describeValue } from '../errors.js';
import * as mx from '../core/index.js';
import { isTreeNode } from '../core/tree.js';
import { isTracing } from '../core/transforms.js';
import { keep } from '../core/scope.js';
import { fusedOptimizerApplies, fusedOptimizerUpdate, type FusedOptimizerConfig } from '../core/fused-optim.js';

type MxArray = mx.Array;

export interface ApplyOptions {
  /** A scalar every gradient is multiplied by before the update (e.g. a clip coefficient). */
  gradScale?: MxArray;
}

/** One parameter to update: where its new value goes, and its gradient, current value and state. */
interface Leaf {
  out: unknown;
  key: unknown;
  gradient: MxArray;
  parameter: MxArray;
  state: ParamState;
}

/** A schedule maps the step count (a uint64 mx.array, 0 on the first update) to a value. */
export type Schedule = (step: MxArray) => MxArray;
export type ScheduledValue = number | MxArray | Schedule;

/** Per-parameter optimizer state, e.g. {m, v} for Adam. */
export type ParamState = Record<string, MxArray>;

/** Something with parameters to update in place, like an nn.Module. */
export interface Updatable {
  parameters(): unknown;
  update(parameters: unknown): unknown;
}

function isUpdatable(v: unknown): v is Updatable {
  return v !== null && typeof v === 'object' && typeof (v as Updatable).parameters === 'function' && typeof (v as Updatable).update === 'function';
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

function childEntries(node: unknown): [string, unknown, unknown][] {
  if (Array.isArray(node)) return node.map((v, i) => [String(i), v, i]);
  if (node instanceof Map) return [...node.entries()].map(([k, v]) => [String(k), v, k]);
  return Object.entries(node as Record<string, unknown>).map(([k, v]) => [k, v, k]);
}

function getChild(node: unknown, key: unknown): unknown {
  if (node instanceof Map) return node.get(key);
  if (Array.isArray(node)) return node[key as number];
  return isTreeNode(node) ? (node as Record<string, unknown>)[key as string] : undefined;
}

function setChild(node: unknown, key: unknown, value: unknown): void {
  if (node instanceof Map) node.set(key, value);
  else (node as Record<string | number, unknown>)[key as string] = value;
}

function emptyLike(node: unknown): unknown {
  if (Array.isArray(node)) return [];
  if (node instanceof Map) return new Map();
  return {};
}

export abstract class Optimizer {
  #state: Record<string, unknown> = { step: mx.array(0, 'uint64') };
  readonly #schedules = new Map<string, Schedule>();
  #initialized = false;

  /** Creates the per-parameter state for one parameter (fills `state` in place). */
  protected abstract initSingle(parameter: MxArray, state: ParamState): void;
  /** Returns the updated parameter and writes the new per-parameter state into `state`. */
  protected abstract applySingle(gradient: MxArray, parameter: MxArray, state: ParamState): MxArray;

  /**
   * Creates state for every parameter that has none yet (done on the first update otherwise); call it
   * before compiling a training step so the state has its final structure when traced.
   */
  init(parameters: unknown): void {
    this.#initFrom(parameters, 'parameters');
  }

  #initFrom(parameters: unknown, what: string): void {
    const visit = (params: unknown, state: unknown, path: string): void => {
      for (const [name, p, key] of childEntries(params)) {
        const here = join(path, name);
        let s = getChild(state, key);
        if (p instanceof mx.Array) {
          if (s === undefined) setChild(state, key, (s = {}));
          if (!isTreeNode(s) || Array.isArray(s)) throw new TypeError(`${this.constructor.name}.init: the optimizer state at '${here}' is ${describeValue(s)}, not a per-parameter state object`);
          if (Object.keys(s).length === 0) {
            this.initSingle(p, s as ParamState);
            keep(Object.values(s as ParamState));
          }
        } else if (isTreeNode(p)) {
          if (s === undefined) setChild(state, key, (s = emptyLike(p)));
          visit(p, s, here);
        } else {
          throw new TypeError(`${this.constructor.name}.init: expected an mx.array at '${here}' in the ${what} but found ${describeValue(p)}`);
        }
      }
    };
    if (!isTreeNode(parameters)) throw new TypeError(`${this.constructor.name}.init: expected a tree of parameters but received ${describeValue(parameters)}`);
    visit(parameters, this.#state, '');
    this.#initialized = true;
  }

  /**
   * Returns the updated parameters for `gradients` (a tree matching `parameters`, which may hold more
   * entries); the result has the structure of `gradients`. `gradScale` (a scalar array, e.g. the
   * global-norm clip coefficient) multiplies every gradient first; the fused update applies it as it
   * reads the gradients instead of writing scaled copies.
   */
  applyGradients(gradients: unknown, parameters: unknown, options: ApplyOptions = {}): any {
    const op = `${this.constructor.name}.applyGradients`;
    checkOptions(op, options, ['gradScale']);
    const { gradScale } = options;
    if (gradScale !== undefined && !(gradScale instanceof mx.Array)) throw new TypeError(`${op}: expected an mx.array for gradScale but received ${describeValue(gradScale)}`);
    if (!isTreeNode(gradients)) throw new TypeError(`${op}: expected a tree of gradients but received ${describeValue(gradients)}`);
    if (!isTreeNode(parameters)) throw new TypeError(`${op}: expected a tree of parameters but received ${describeValue(parameters)}`);
    if (!this.#initialized) this.#initFrom(gradients, 'gradients');
    for (const [name, schedule] of this.#schedules) replaceEntries(this.#state, { [name]: this.#evaluateSchedule(name, schedule) });
    replaceEntries(this.#state, { step: mx.add(this.step, 1) });
    const leaves: Leaf[] = [];
    const visit = (g: unknown, p: unknown, s: unknown, path: string): unknown => {
      const out = emptyLike(g);
      for (const [name, gv, key] of childEntries(g)) {
        const here = join(path, name);
        const pv = getChild(p, key);
        const sv = getChild(s, key);
        if (gv instanceof mx.Array) {
          if (!(pv instanceof mx.Array)) throw new TypeError(`${op}: the gradients have an array at '${here}' but the parameters have ${pv === undefined ? 'no entry' : describeValue(pv)} there`);
          const gs = gv.shape;
          const ps = pv.shape;
          if (gs.length !== ps.length || gs.some((d, i) => d !== ps[i])) {
            throw new RangeError(`${op}: the gradient at '${here}' has shape [${gs.join(',')}] but the parameter has shape [${ps.join(',')}]`);
          }
          if (!isTreeNode(sv)) throw new TypeError(`${op}: the optimizer state has no entry for '${here}' (call init with the full parameter tree)`);
          leaves.push({ out, key, gradient: gv, parameter: pv, state: sv as ParamState });
        } else if (isTreeNode(gv)) {
          if (!isTreeNode(pv)) throw new TypeError(`${op}: the gradients have a subtree at '${here}' but the parameters have ${pv === undefined ? 'no entry' : describeValue(pv)} there`);
          setChild(out, key, visit(gv, pv, sv, here));
        } else {
          throw new TypeError(`${op}: expected an mx.array at '${here}' in the gradients but found ${describeValue(gv)}`);
        }
      }
      return out;
    };
    const result = visit(gradients, parameters, this.#state, '');
    if (!this.#applyFused(leaves, gradScale)) {
      for (const { out, key, gradient, parameter, state } of leaves) {
        const g = gradScale ? mx.multiply(gradient, gradScale).astype(gradient.dtype) : gradient;
        const before = { ...state };
        setChild(out, key, this.applySingle(g, parameter, state));
        releaseReplaced(before, state);
      }
    }
    return result;
  }

  /**
   * The fused update rule (one native pass over every parameter), or undefined for optimizers without
   * one; stateKeys names the per-parameter state arrays in the order the kernel takes them.
   */
  protected fusedRule(): { config: FusedOptimizerConfig; stateKeys: string[] } | undefined {
    return undefined;
  }

  /** Updates every leaf in one fused primitive when the rule, the dtypes and the switch allow it. */
  #applyFused(leaves: Leaf[], gradScale: MxArray | undefined): boolean {
    // A subclass that changes applySingle but not fusedRule would otherwise lose its change.
    const rule = leaves.length > 0 && definedBy(this, 'fusedRule') === definedBy(this, 'applySingle') ? this.fusedRule() : undefined;
    if (!rule) return false;
    const states: MxArray[] = [];
    for (const { state } of leaves) {
      for (const k of rule.stateKeys) {
        if (!(state[k] instanceof mx.Array)) return false;
        states.push(state[k]);
      }
    }
    const params = leaves.map((l) => l.parameter);
    const grads = leaves.map((l) => l.gradient);
    const lr = this.learningRate;
    if (!(lr instanceof mx.Array) || !fusedOptimizerApplies([...params, ...grads, ...states])) return false;
    const outputs = fusedOptimizerUpdate(rule.config, lr, this.step, gradScale ?? mx.array(1, 'float32'), params, grads, states);
    const group = 1 + rule.stateKeys.length;
    leaves.forEach(({ out, key, state }, i) => {
      const before = { ...state };
      setChild(out, key, outputs[i * group]);
      rule.stateKeys.forEach((k, j) => (state[k] = outputs[i * group + 1 + j]));
      releaseReplaced(before, state);
    });
    return true;
  }

  /**
   * Applies `gradients` to a model (anything with parameters() and update(tree), like nn.Module) or,
   * for a plain parameter tree, replaces its arrays in place. Returns the new parameters.
   */
  update(model: Updatable | Record<string, unknown> | unknown[] | Map<unknown, unknown>, gradients: unknown, options: ApplyOptions = {}): any {
    if (isUpdatable(model)) {
      const updated = this.applyGradients(gradients, model.parameters(), options);
      model.update(updated);
      return updated;
    }
    const updated = this.applyGradients(gradients, model, options);
    mergeInPlace(model, updated);
    return updated;
  }

  /**
   * The state tree (live: changing it changes the optimizer). Flatten it with treeFlatten to save it;
   * assigning a tree restores it exactly, including the step count and scheduled values.
   */
  get state(): Record<string, any> {
    return this.#state;
  }
  set state(state: Record<string, any>) {
    if (!isTreeNode(state) || Array.isArray(state) || state instanceof Map) {
      throw new TypeError(`${this.constructor.name}.state: expected a state object but received ${describeValue(state)}`);
    }
    if (!(state.step instanceof mx.Array)) throw new TypeError(`${this.constructor.name}.state: the state has no 'step' array`);
    this.#state = keep(state);
    this.#initialized = false;
  }

  /** The number of updates applied so far (a uint64 scalar array). */
  get step(): MxArray {
    return this.#state.step as MxArray;
  }

  get learningRate(): MxArray {
    return this.#state.learning_rate as MxArray;
  }
  set learningRate(value: number | MxArray) {
    replaceEntries(this.#state, { learning_rate: mx.array(value as number) });
  }

  /** Stores a hyperparameter in the state, evaluating it now if it is a schedule (which then runs every update). */
  protected maybeSchedule(name: string, value: ScheduledValue): void {
    if (typeof value === 'function') {
      this.#schedules.set(name, value);
      replaceEntries(this.#state, { [name]: this.#evaluateSchedule(name, value) });
    } else if (value instanceof mx.Array || (typeof value === 'number' && Number.isFinite(value))) {
      replaceEntries(this.#state, { [name]: mx.array(value as number) });
    } else {
      throw new TypeError(`${this.constructor.name}: expected a finite number, an mx.array or a schedule for ${name} but received ${describeValue(value)}`);
    }
  }

  /** Reads a hyperparameter kept in the state (e.g. a scheduled learning rate). */
  protected hyper(name: string): MxArray {
    return this.#state[name] as MxArray;
  }

  #evaluateSchedule(name: string, schedule: Schedule): MxArray {
    const value = schedule(this.step);
    if (!(value instanceof mx.Array)) {
      throw new TypeError(`${this.constructor.name}: the ${name} schedule must return an mx.array but returned ${describeValue(value)}`);
    }
    // Outside a trace the value is cheap to read here, and a NaN caught now names the step that made it.
    if (!isTracing() && value.size === 1) {
      const v = Number(value.item());
      if (Number.isNaN(v)) {
        const err = new RangeError(`${this.constructor.name}: the ${name} schedule returned NaN at step ${Number(this.step.item())}`);
        (err as RangeError & { code: string }).code = 'SCHEDULE_NAN';
        throw err;
      }
    }
    return value;
  }
}

/*
 * The optimizer owns the arrays in its state: new ones are kept out of enclosing tidy scopes (state must
 * outlive a training step) and the handles they replace are freed at once instead of waiting for GC.
 * Freeing a handle only drops our reference: the lazy graph of the new value still holds the old one.
 * To hold on to a snapshot of the state, copy its arrays (mx.array(x)) or save them.
 */
function releaseReplaced(before: Record<string, unknown>, after: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(after)) {
    const old = before[k];
    if (v === old) continue;
    if (v instanceof mx.Array) keep(v);
    if (old instanceof mx.Array) old.dispose();
  }
}

function definedBy(obj: object, name: string): object | null {
  let proto = Object.getPrototypeOf(obj);
  while (proto && !Object.prototype.hasOwnProperty.call(proto, name)) proto = Object.getPrototypeOf(proto);
  return proto;
}

function replaceEntries(state: Record<string, unknown>, entries: Record<string, unknown>): void {
  const before = { ...state };
  Object.assign(state, entries);
  releaseReplaced(before, state);
}

function mergeInPlace(target: unknown, source: unknown): void {
  for (const [, v, key] of childEntries(source)) {
    const cur = getChild(target, key);
    if (isTreeNode(v) && isTreeNode(cur)) mergeInPlace(cur, v);
    else setChild(target, key, v);
  }
}

export function checkBetas(name: string, betas: readonly number[]): void {
  if (!Array.isArray(betas) || betas.length !== 2) throw new TypeError(`${name}: expected betas as [beta1, beta2] but received ${describeValue(betas)}`);
  betas.forEach((b, i) => {
    if (!(typeof b === 'number' && b >= 0 && b < 1)) throw new RangeError(`${name}: beta${i + 1} should be in [0, 1) but is ${b}`);
  });
}

export function checkNumber(name: string, what: string, v: unknown, min = -Infinity): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${name}: expected a finite number for ${what} but received ${describeValue(v)}`);
  if (v < min) throw new RangeError(`${name}: ${what} should be >= ${min} but is ${v}`);
}

/** Rejects misspelled options, naming them. */
export function checkOptions(name: string, options: object, known: string[]): void {
  if (options === null || typeof options !== 'object') throw new TypeError(`${name}: expected an options object but received ${describeValue(options)}`);
  for (const k of Object.keys(options)) {
    if (!known.includes(k)) throw new TypeError(`${name}: unknown option '${k}' (expected one of ${known.join(', ')})`);
  }
}
