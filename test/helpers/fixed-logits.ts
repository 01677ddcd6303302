/** Test models for loss checks against reference values. */
import { mx, nn } from '../../src/index.js';

/** A "model" whose output is its one parameter: the loss's gradient w.r.t. it is d loss / d logits. */
export class FixedLogits extends nn.Module {
  logits: mx.Array;
  constructor(logits: mx.Array) {
    super();
    this.logits = logits;
  }
  forward(): mx.Array {
    return this.logits;
  }
}
