/**
 * Adafactor (mlx.optimizers.Adafactor): second moments kept as row and column averages for matrices,
 * a relative step size by default, and update clipping by RMS.
 */
import { describeValue } from '../errors.js';
import * as mx from '../core/index.js';
import { checkNumber, checkOptions, Optimizer, type ParamState, type ScheduledValue } from './optimizer.js';

export interface AdafactorOptions {
  /** Used only with relativeStep: false. */
  learningRate?: ScheduledValue;
  eps?: [number, number];
  clipThreshold?: number;
  decayRate?: number;
  /** First-moment decay; no first moment when omitted. */
  beta1?: number;
  weightDecay?: number;
  scaleParameter?: boolean;
  relativeStep?: boolean;
  warmupInit?: boolean;
}

const rms = (x: mx.Array) => mx.sqrt(mx.mean(mx.square(x)));

export class Adafactor extends Optimizer {
  readonly eps: [number, number];
  readonly clipThreshold: number;
  readonly decayRate: number;
  readonly beta1: number | undefined;
  readonly weightDecay: number;
  readonly scaleParameter: boolean;
  readonly relativeStep: boolean;
  readonly warmupInit: boolean;

  constructor(options: AdafactorOptions = {}) {
    super();
    checkOptions('Adafactor', options, ['learningRate', 'eps', 'clipThreshold', 'decayRate', 'beta1', 'weightDecay', 'scaleParameter', 'relativeStep', 'warmupInit']);
    const { eps = [1e-30, 1e-3], clipThreshold = 1, decayRate = -0.8, beta1, weightDecay = 0, scaleParameter = true, relativeStep = true, warmupInit = false } = options;
    if (!Array.isArray(eps) || eps.length !== 2) throw new TypeError(`Adafactor: expected eps as [eps1, eps2] but received ${describeValue(eps)}`);
    checkNumber('Adafactor', 'clipThreshold', clipThreshold);
    checkNumber('Adafactor', 'decayRate', decayRate);
    if (beta1 !== undefined) checkNumber('Adafactor', 'beta1', beta1);
    checkNumber('Adafactor', 'weightDecay', weightDecay);
    if (options.learningRate !== undefined) this.maybeSchedule('learning_rate', options.learningRate);
    else if (!relativeStep) throw new TypeError('Adafactor: relativeStep: false needs a learningRate');
    this.eps = [eps[0], eps[1]];
    this.clipThreshold = clipThreshold;
    this.decayRate = decayRate;
    this.beta1 = beta1;
    this.weightDecay = weightDecay;
    this.scaleParameter = Boolean(scaleParameter);
    this.relativeStep = Boolean(relativeStep);
    this.warmupInit = Boolean(warmupInit);
  }

  protected initSingle(parameter: mx.Array, state: ParamState): void {
    if (parameter.ndim >= 2) {
      const shape = parameter.shape;
      state.exp_avg_sq_row = mx.zeros(shape.slice(0, -1), parameter.dtype);
      state.exp_avg_sq_col = mx.zeros([...shape.slice(0, -2), shape[shape.length - 1]], parameter.dtype);
    } else {
      state.exp_avg_sq = mx.zerosLike(parameter);
    }
    if (this.beta1 !== undefined) state.exp_avg = mx.zerosLike(parameter);
  }

  #learningRate(parameterRms: mx.Array): mx.Array {
    const step = this.step;
    let relative: mx.Array;
    if (this.relativeStep) {
      const minStep = this.warmupInit ? mx.multiply(1e-6, step) : 1e-2;
      relative = mx.minimum(minStep, mx.rsqrt(step));
    } else {
      relative = this.learningRate;
    }
    relative = relative.astype(parameterRms.dtype);
    return this.scaleParameter ? mx.multiply(mx.maximum(this.eps[1], parameterRms), relative) : relative;
  }

  protected applySingle(gradient: mx.Array, parameter: mx.Array, state: ParamState): mx.Array {
    const parameterRms = rms(parameter);
    const lr = this.#learningRate(parameterRms);
    const beta2 = mx.subtract(1, mx.power(this.step, this.decayRate).astype(parameterRms.dtype));
    const oneMinusBeta2 = mx.subtract(1, beta2);
    let update = mx.add(mx.square(gradient), this.eps[0]);
    if (gradient.ndim >= 2) {
      const row = mx.add(mx.multiply(beta2, state.exp_avg_sq_row), mx.multiply(oneMinusBeta2, mx.mean(update, -1)));
      const col = mx.add(mx.multiply(beta2, state.exp_avg_sq_col), mx.multiply(oneMinusBeta2, mx.mean(update, -2)));
      state.exp_avg_sq_row = row;
      state.exp_avg_sq_col = col;
      const rFactor = mx.rsqrt(mx.divide(row, mx.mean(row, -1, true)));
      const cFactor = mx.rsqrt(col);
      update = mx.multiply(mx.multiply(mx.expandDims(rFactor, -1), mx.expandDims(cFactor, -2)), gradient);
    } else {
      const avg = mx.add(mx.multiply(beta2, state.exp_avg_sq), mx.multiply(oneMinusBeta2, update));
      state.exp_avg_sq = avg;
      update = mx.multiply(mx.rsqrt(avg), gradient);
    }
    update = mx.divide(update, mx.maximum(1, mx.divide(rms(update), this.clipThreshold)));
    update = mx.multiply(lr, update);
    if (this.beta1 !== undefined) {
      const avg = mx.add(mx.multiply(this.beta1, state.exp_avg), mx.multiply(1 - this.beta1, update));
      state.exp_avg = avg;
      update = avg;
    }
    let p = parameter;
    if (this.weightDecay !== 0) p = mx.add(p, mx.multiply(p, mx.multiply(-this.weightDecay, lr)));
    return mx.subtract(p, update);
  }
}
