/** Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight decay (mlx.optimizers.SGD). */
import * as mx from '../core/index.js';
import type { FusedOptimizerConfig } from '../core/fused-optim.js';
import { checkNumber, checkOptions, Optimizer, type ParamState, type ScheduledValue } from './optimizer.js';

export interface SGDOptions {
  learningRate: ScheduledValue;
  momentum?: number;
  weightDecay?: number;
  dampening?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly dampening: number;
  readonly nesterov: boolean;

  constructor(options: SGDOptions) {
    super();
    checkOptions('SGD', options, ['learningRate', 'momentum', 'weightDecay', 'dampening', 'nesterov']);
    const { momentum = 0, weightDecay = 0, dampening = 0, nesterov = false } = options;
    checkNumber('SGD', 'momentum', momentum, 0);
    checkNumber('SGD', 'weightDecay', weightDecay);
    checkNumber('SGD', 'dampening', dampening, 0);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new RangeError('SGD: Nesterov momentum requires a momentum and zero dampening');
    this.maybeSchedule('learning_rate', options.learningRate);
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.dampening = dampening;
    this.nesterov = Boolean(nesterov);
  }

  protected initSingle(parameter: mx.Array, state: ParamState): void {
    state.v = mx.zerosLike(parameter);
  }

  protected override fusedRule(): { config: FusedOptimizerConfig; stateKeys: string[] } | undefined {
    const { momentum, weightDecay, dampening, nesterov } = this;
    return { config: { kind: 'sgd', momentum, weightDecay, dampening, nesterov }, stateKeys: momentum > 0 ? ['v'] : [] };
  }

  protected applySingle(gradient: mx.Array, parameter: mx.Array, state: ParamState): mx.Array {
    const lr = this.learningRate.astype(gradient.dtype);
    let g = gradient;
    if (this.weightDecay !== 0) g = mx.add(g, mx.multiply(this.weightDecay, parameter));
    if (this.momentum <= 0) return mx.subtract(parameter, mx.multiply(lr, g));
    let v = mx.multiply(this.momentum, state.v);
    v = mx.add(v, this.dampening > 0 ? mx.multiply(1 - this.dampening, g) : g);
    const update = this.nesterov ? mx.add(g, mx.multiply(this.momentum, v)) : v;
    state.v = v;
    return mx.subtract(parameter, mx.multiply(lr, update));
  }
}
