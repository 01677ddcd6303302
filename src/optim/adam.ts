/** Adam and AdamW (mlx.optimizers.Adam / AdamW), with optional bias correction. */
import * as mx from '../core/index.js';
import type { FusedOptimizerConfig } from '../core/fused-optim.js';
import { checkBetas, checkNumber, checkOptions, Optimizer, type ParamState, type ScheduledValue } from './optimizer.js';

export interface AdamOptions {
  learningRate: ScheduledValue;
  betas?: [number, number];
  eps?: number;
  biasCorrection?: boolean;
}

export class Adam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly biasCorrection: boolean;

  constructor(options: AdamOptions, known = ['learningRate', 'betas', 'eps', 'biasCorrection']) {
    super();
    const name = new.target.name;
    checkOptions(name, options, known);
    const { betas = [0.9, 0.999], eps = 1e-8, biasCorrection = false } = options;
    checkBetas(name, betas);
    checkNumber(name, 'eps', eps, 0);
    this.maybeSchedule('learning_rate', options.learningRate);
    this.betas = [betas[0], betas[1]];
    this.eps = eps;
    this.biasCorrection = Boolean(biasCorrection);
  }

  protected initSingle(parameter: mx.Array, state: ParamState): void {
    state.m = mx.zerosLike(parameter);
    state.v = mx.zerosLike(parameter);
  }

  protected override fusedRule(): { config: FusedOptimizerConfig; stateKeys: string[] } | undefined {
    const [beta1, beta2] = this.betas;
    return { config: { kind: 'adam', beta1, beta2, eps: this.eps, biasCorrection: this.biasCorrection }, stateKeys: ['m', 'v'] };
  }

  protected applySingle(gradient: mx.Array, parameter: mx.Array, state: ParamState): mx.Array {
    const lr = this.learningRate.astype(gradient.dtype);
    const [b1, b2] = this.betas;
    const m = mx.add(mx.multiply(b1, state.m), mx.multiply(1 - b1, gradient));
    const v = mx.add(mx.multiply(b2, state.v), mx.multiply(1 - b2, mx.square(gradient)));
    state.m = m;
    state.v = v;
    if (this.biasCorrection) {
      const c1 = mx.divide(lr, mx.subtract(1, mx.power(b1, this.step))).astype(gradient.dtype);
      const c2 = mx.rsqrt(mx.subtract(1, mx.power(b2, this.step))).astype(gradient.dtype);
      const denominator = mx.add(mx.multiply(mx.sqrt(v), c2), this.eps);
      return mx.subtract(parameter, mx.divide(mx.multiply(c1, m), denominator));
    }
    return mx.subtract(parameter, mx.divide(mx.multiply(lr, m), mx.add(mx.sqrt(v), this.eps)));
  }
}

export interface AdamWOptions extends AdamOptions {
  weightDecay?: number;
}

/** Adam with decoupled weight decay: the parameter shrinks by lr·weightDecay before the Adam step. */
export class AdamW extends Adam {
  readonly weightDecay: number;

  constructor(options: AdamWOptions) {
    super(options, ['learningRate', 'betas', 'eps', 'biasCorrection', 'weightDecay']);
    const { weightDecay = 0.01 } = options;
    checkNumber('AdamW', 'weightDecay', weightDecay);
    this.weightDecay = weightDecay;
  }

  protected override fusedRule(): { config: FusedOptimizerConfig; stateKeys: string[] } | undefined {
    const rule = super.fusedRule()!;
    return { ...rule, config: { ...rule.config, weightDecay: this.weightDecay, decoupledDecay: true } };
  }

  protected override applySingle(gradient: mx.Array, parameter: mx.Array, state: ParamState): mx.Array {
    const lr = this.learningRate.astype(gradient.dtype);
    const decayed = mx.multiply(parameter, mx.subtract(1, mx.multiply(lr, this.weightDecay)));
    return super.applySingle(gradient, decayed, state);
  }
}
