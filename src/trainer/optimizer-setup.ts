/** The optimizer training.optimizer names, with its hyperparameters from the config. */
import type { TrainingConfig } from '../config/schema.js';
import { Adafactor, Adam, AdamW, Lion, SGD, type Optimizer } from '../optim/index.js';

export function makeOptimizer(c: TrainingConfig, _totalSteps: number): Optimizer {
  const t = c.training;
  const lr = t.learningRate;
  switch (t.optimizer) {
    case 'adamw':
      return new AdamW({ learningRate: lr, weightDecay: t.weightDecay });
    case 'adam':
      return new Adam({ learningRate: lr });
    case 'sgd':
      return new SGD({ learningRate: lr, weightDecay: t.weightDecay });
    case 'lion':
      return new Lion({ learningRate: lr, weightDecay: t.weightDecay });
    case 'adafactor':
      return new Adafactor({ learningRate: lr, weightDecay: t.weightDecay, relativeStep: false } as ConstructorParameters<typeof Adafactor>[0]);
  }
}
