/**
 * Learning-rate schedules (mlx.optimizers.schedulers): functions of the step count, a uint64 mx.array,
 * built from mx ops so they also work inside a compiled training step.
 */
import { describeValue } from '../errors.js';
import * as mx from '../core/index.js';
import type { Schedule } from './optimizer.js';

function finite(name: string, what: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${name}: expected a finite number for ${what} but received ${describeValue(v)}`);
}
function positiveInt(name: string, what: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${name}: expected an integer for ${what} but received ${describeValue(v)}`);
  if (v < 1) throw new RangeError(`${name}: ${what} must be greater than 0, but got ${v}`);
}

/** init · decayRate^step */
export function exponentialDecay(init: number, decayRate: number): Schedule {
  finite('exponentialDecay', 'init', init);
  finite('exponentialDecay', 'decayRate', decayRate);
  return (step) => mx.multiply(init, mx.power(decayRate, step));
}

/** init · decayRate^⌊step / stepSize⌋ */
export function stepDecay(init: number, decayRate: number, stepSize: number): Schedule {
  finite('stepDecay', 'init', init);
  finite('stepDecay', 'decayRate', decayRate);
  positiveInt('stepDecay', 'stepSize', stepSize);
  return (step) => mx.multiply(init, mx.power(decayRate, mx.floorDivide(step, stepSize)));
}

/** Half a cosine from init down to end over decaySteps, then constant at end. */
export function cosineDecay(init: number, decaySteps: number, end = 0): Schedule {
  finite('cosineDecay', 'init', init);
  finite('cosineDecay', 'end', end);
  positiveInt('cosineDecay', 'decaySteps', decaySteps);
  return (step) => {
    const s = mx.minimum(step, decaySteps);
    const decay = mx.multiply(0.5, mx.add(1, mx.cos(mx.multiply(Math.PI / decaySteps, s))));
    return mx.add(end, mx.multiply(decay, init - end));
  };
}

/** A straight line from init to end over `steps` (a warmup when init < end), then constant at end. */
export function linearSchedule(init: number, end: number, steps: number): Schedule {
  finite('linearSchedule', 'init', init);
  finite('linearSchedule', 'end', end);
  positiveInt('linearSchedule', 'steps', steps);
  return (step) => mx.add(mx.multiply(mx.minimum(step, steps), (end - init) / steps), init);
}

/**
 * Runs schedules one after another: schedule i+1 starts at boundaries[i] and sees the steps counted
 * from that boundary.
 */
export function joinSchedules(schedules: Schedule[], boundaries: number[]): Schedule {
  if (!Array.isArray(schedules) || schedules.length === 0) throw new TypeError('joinSchedules: must provide at least 1 schedule to join');
  schedules.forEach((s, i) => {
    if (typeof s !== 'function') throw new TypeError(`joinSchedules: expected a function for schedules[${i}] but received ${describeValue(s)}`);
  });
  if (!Array.isArray(boundaries) || schedules.length !== boundaries.length + 1) {
    throw new RangeError(`joinSchedules: received ${Array.isArray(boundaries) ? boundaries.length : describeValue(boundaries)} boundaries but expected ${schedules.length - 1}`);
  }
  boundaries.forEach((b, i) => {
    if (!Number.isInteger(b) || b < 0) throw new TypeError(`joinSchedules: expected a non-negative integer for boundaries[${i}] but received ${describeValue(b)}`);
  });
  return (step) => {
    let out = schedules[0](step);
    boundaries.forEach((boundary, i) => {
      out = mx.where(mx.less(step, boundary), out, schedules[i + 1](mx.subtract(step, boundary)));
    });
    return out;
  };
}
