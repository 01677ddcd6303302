/** Lion (mlx.optimizers.Lion): sign of an interpolated momentum, with decoupled weight decay. */
import * as mx from '../core/index.js';
import type { FusedOptimizerConfig } from '../core/fused-optim.js';
import { checkBetas, checkNumber, checkOptions, Optimizer, type ParamState, type ScheduledValue } from './optimizer.js';

export interface LionOptions {
  learningRate: ScheduledValue;
  betas?: [number, number];
  weightDecay?: number;
}

export class Lion extends Optimizer {
  readonly betas: [number, number];
  readonly weightDecay: number;

  constructor(options: LionOptions) {
    super();
    checkOptions('Lion', options, ['learningRate', 'betas', 'weightDecay']);
    const { betas = [0.9, 0.99], weightDecay = 0 } = options;
    checkBetas('Lion', betas);
    checkNumber('Lion', 'weightDecay', weightDecay);
    this.maybeSchedule('learning_rate', options.learningRate);
    this.betas = [betas[0], betas[1]];
    this.weightDecay = weightDecay;
  }

  protected initSingle(parameter: mx.Array, state: ParamState): void {
    state.m = mx.zerosLike(parameter);
  }

  protected override fusedRule(): { config: FusedOptimizerConfig; stateKeys: string[] } | undefined {
    const [beta1, beta2] = this.betas;
    return { config: { kind: 'lion', beta1, beta2, weightDecay: this.weightDecay }, stateKeys: ['m'] };
  }

  protected applySingle(gradient: mx.Array, parameter: mx.Array, state: ParamState): mx.Array {
    const lr = this.learningRate.astype(gradient.dtype);
    const [b1, b2] = this.betas;
    const m = state.m;
    const c = mx.add(mx.multiply(b1, m), mx.multiply(1 - b1, gradient));
    state.m = mx.add(mx.multiply(b2, m), mx.multiply(1 - b2, gradient));
    let p = parameter;
    if (this.weightDecay > 0) p = mx.multiply(mx.subtract(1, mx.multiply(lr, this.weightDecay)), p);
    return mx.subtract(p, mx.multiply(lr, mx.sign(c)));
  }
}
