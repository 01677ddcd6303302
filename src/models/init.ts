/** BERT-family initialisation for training from scratch: N(0, std) for linear and embedding weights, zero biases. */
import * as mx from '../core/index.js';
import { Embedding, LayerNorm, Linear, type Module } from '../nn/index.js';

export function initBertWeights(model: Module, std: number): void {
  for (const m of model.modules()) {
    if (m instanceof Linear) {
      m.weight = mx.random.normal(m.weight.shape, { scale: std });
      if (m.bias) m.bias = mx.zeros(m.bias.shape);
    } else if (m instanceof Embedding) {
      m.weight = mx.random.normal(m.weight.shape, { scale: std });
    } else if (m instanceof LayerNorm) {
      if (m.weight) m.weight = mx.ones(m.weight.shape);
      if (m.bias) m.bias = mx.zeros(m.bias.shape);
    }
  }
}
