/**
 * The optimized training step: forward + loss + backward + (all-reduce) + clip + optimizer update, built
 * lazily and evaluated once per optimizer step. Gradient accumulation splits one optimizer step into
 * micro-batches whose losses are weighted by their share of the samples, so N micro-batches of B/N give
 * the update one batch of B gives; each micro-batch but the last is evaluated on its own (that is what
 * bounds memory), and the last one is evaluated together with the update.
 *
 * `compile: 'step'` (or true) makes the whole step one mx.compile'd function whose implicit state is the
 * model's parameters, the optimizer state and the random key (dropout), so a compiled and an eager step draw
 * the same numbers and leave the same state. MLX traces it again for every new batch shape, and with
 * length-bucketed batches each retrace costs seconds (its graph simplification on the whole step) while the
 * fused kernels leave the steady-state step no faster than eager. `compile: 'update'` compiles only the
 * all-reduce → clip → optimizer update, whose shapes never change: the forward and backward run eagerly.
 */
import * as mx from '../core/index.js';
import { keep, tidy } from '../core/scope.js';
import { moduleState, valueAndGrad, type Module } from '../nn/index.js';
import { clipScale, type Optimizer } from '../optim/index.js';
import { allReduceGradients } from './distributed.js';
import { lossShares } from './loss-shares.js';

type MxArray = mx.Array;
type Tree = Record<string, unknown>;

/** The arrays of one (micro-)batch the loss needs. */
export interface StepBatch {
  inputIds: MxArray;
  attentionMask: MxArray;
  tokenTypeIds: MxArray;
  labels: MxArray;
  /** Examples in the batch (its weight in an accumulated step). */
  size: number;
}

/**
 * The mean loss of a batch under the model (the model is in training mode while it runs). `normalizer`
 * says what the mean divides by when that is not the row count (e.g. a class-weight sum), so split
 * steps weigh their parts right (loss-shares.ts).
 */
export type LossFn = ((model: Module, batch: StepBatch) => MxArray) & {
  normalizer?: (batch: StepBatch) => number;
  /** Labels of the shape and dtype this loss expects for a batch of `size` (the batch-size finder's probe; default int32 class ids). */
  probeLabels?: (size: number) => MxArray;
};

export interface TrainStepOptions {
  /** Clip the global gradient norm to this value; null disables clipping. */
  maxGradNorm: number | null;
  /** What mx.compile covers: the whole step ('step' or true), the update only ('update'), or nothing. */
  compile: boolean | 'step' | 'update';
  /** Compute dtype for mixed precision (params are cast for the forward pass; master weights stay fp32). */
  computeDtype?: 'float32' | 'bfloat16' | 'float16';
  /** Loss scale for fp16 (multiplies the loss, divides the gradients). */
  lossScale?: () => number;
}

/** What one optimizer step returns: plain numbers, read after the step's single eval. */
export interface StepResult {
  loss: number;
  gradNorm: number | undefined;
  /** False when the loss or the gradient norm is NaN/Inf. */
  finite: boolean;
}

const batchArrays = (b: StepBatch) => [b.inputIds, b.attentionMask, b.tokenTypeIds, b.labels];

export class TrainStep {
  readonly model: Module;
  readonly optimizer: Optimizer;
  private readonly lossFn: LossFn;
  private readonly options: TrainStepOptions;
  /** d(weight · loss)/d(trainable params) for one micro-batch. */
  private readonly gradFn: (batch: StepBatch, weight: number) => [MxArray, Tree];
  private compiledFull?: (ids: MxArray, mask: MxArray, types: MxArray, labels: MxArray, weight: MxArray) => MxArray[];
  private compiledGrad?: (ids: MxArray, mask: MxArray, types: MxArray, labels: MxArray, weight: MxArray) => [MxArray, Tree];
  private compiledApply?: (grads: Tree) => MxArray[];

  constructor(model: Module, optimizer: Optimizer, lossFn: LossFn, options: TrainStepOptions) {
    this.model = model;
    this.optimizer = optimizer;
    this.lossFn = lossFn;
    this.options = options;
    const scaled = (batch: StepBatch, weight: number | MxArray): MxArray => {
      const loss = this.lossWithPrecision(batch);
      const scale = options.lossScale?.() ?? 1;
      return mx.multiply(loss, typeof weight === 'number' ? weight * scale : mx.multiply(weight, scale));
    };
    const vg = valueAndGrad(model, scaled);
    this.gradFn = (batch, weight) => vg(batch, weight) as [MxArray, Tree];
    // The optimizer state must have its final structure before a trace captures it.
    optimizer.init(model.trainableParameters());
    if (options.compile === 'update') this.buildCompiledUpdate();
    else if (options.compile) this.buildCompiled(vg);
  }

  private lossWithPrecision(batch: StepBatch): MxArray {
    const dtype = this.options.computeDtype ?? 'float32';
    if (dtype === 'float32') return this.lossFn(this.model, batch);
    // fp32 master weights: the forward pass sees half-precision copies; gradients flow back to fp32.
    const master = this.model.parameters();
    this.model.update(mx.treeMap((p: MxArray) => (mx.isFloating(p.dtype) ? p.astype(dtype) : p), master), false);
    try {
      return this.lossFn(this.model, batch).astype('float32');
    } finally {
      this.model.update(master, false);
    }
  }

  private buildCompiled(vg: (batch: StepBatch, weight: MxArray) => unknown): void {
    const modelState = moduleState(this.model);
    const optState = this.optimizer.state;
    const rng = mx.randomState;
    const asBatch = (ids: MxArray, mask: MxArray, types: MxArray, labels: MxArray): StepBatch => ({ inputIds: ids, attentionMask: mask, tokenTypeIds: types, labels, size: ids.shape[0] });
    this.compiledFull = mx.compile(
      (ids: MxArray, mask: MxArray, types: MxArray, labels: MxArray, weight: MxArray) => {
        const [loss, grads] = vg(asBatch(ids, mask, types, labels), weight) as [MxArray, Tree];
        return [loss, ...this.applyUpdate(grads)];
      },
      { inputs: [modelState, optState, rng], outputs: [modelState, optState, rng] },
    );
    this.compiledGrad = mx.compile((ids: MxArray, mask: MxArray, types: MxArray, labels: MxArray, weight: MxArray) => vg(asBatch(ids, mask, types, labels), weight) as [MxArray, Tree], {
      inputs: [modelState, rng],
      outputs: [rng],
    });
    this.buildCompiledUpdate();
  }

  private buildCompiledUpdate(): void {
    const modelState = moduleState(this.model);
    const optState = this.optimizer.state;
    this.compiledApply = mx.compile((grads: Tree) => this.applyUpdate(grads), { inputs: [modelState, optState], outputs: [modelState, optState] });
  }

  /** all-reduce → unscale → clip → optimizer update (lazy); returns [gradNorm] when clipping. */
  private applyUpdate(grads: Tree): MxArray[] {
    let g = allReduceGradients(grads);
    const scale = this.options.lossScale?.() ?? 1;
    if (scale !== 1) g = mx.treeMap((x: MxArray) => mx.divide(x, scale), g);
    const out: MxArray[] = [];
    let gradScale: MxArray | undefined;
    if (this.options.maxGradNorm !== null) {
      // The clip coefficient goes to the optimizer, which scales each gradient as it reads it.
      const [coefficient, norm] = clipScale(g, this.options.maxGradNorm);
      gradScale = coefficient;
      out.push(norm);
    }
    this.optimizer.update(this.model, g, { gradScale });
    return out;
  }

  private stateArrays(): MxArray[] {
    return [...mx.treeArrays(this.model.parameters(), 'parameters'), ...mx.treeArrays(this.optimizer.state, 'optimizer state')];
  }

  private microGrads(batch: StepBatch, weight: number): [MxArray, Tree] {
    if (this.compiledGrad) return this.compiledGrad(...(batchArrays(batch) as [MxArray, MxArray, MxArray, MxArray]), mx.array(weight));
    return this.gradFn(batch, weight);
  }

  /**
   * One optimizer step over `microBatches` (one batch, or the parts of an accumulated batch). The loss
   * is the mean over all parts, as if they were one batch (each part weighed by its loss share).
   */
  run(microBatches: StepBatch[], options: { checkFiniteFirst?: boolean } = {}): StepResult {
    if (microBatches.length === 0) throw new RangeError('TrainStep.run: no batches given');
    const shares = lossShares(microBatches, this.lossFn.normalizer);
    let lossAcc: MxArray | null = null;
    let gradAcc: Tree | null = null;
    // Every micro-batch but the last: accumulate, evaluated now to free its activations.
    for (const [i, batch] of microBatches.slice(0, -1).entries()) {
      const next = tidy(() => {
        const [loss, grads] = this.microGrads(batch, shares[i]);
        const acc = {
          loss: lossAcc ? mx.add(lossAcc, loss) : loss,
          grads: gradAcc ? mx.treeMap((a: MxArray, g: MxArray) => mx.add(a, g), gradAcc, grads) : grads,
        };
        mx.eval(acc);
        return acc;
      });
      mx.dispose([lossAcc, gradAcc]);
      lossAcc = next.loss;
      gradAcc = next.grads;
    }
    const last = microBatches[microBatches.length - 1];
    const before = this.stateArrays();
    const weight = shares[shares.length - 1];
    const scale = this.options.lossScale?.() ?? 1;
    try {
      return tidy(() => {
        let loss: MxArray;
        let norm: MxArray | undefined;
        if (this.compiledFull && !gradAcc && !options.checkFiniteFirst) {
          [loss, norm] = this.compiledFull(...(batchArrays(last) as [MxArray, MxArray, MxArray, MxArray]), mx.array(weight));
        } else {
          const [l, g] = this.microGrads(last, weight);
          loss = lossAcc ? mx.add(lossAcc, l) : l;
          const grads: Tree = gradAcc ? mx.treeMap((a: MxArray, b: MxArray) => mx.add(a, b), gradAcc, g) : g;
          if (options.checkFiniteFirst) {
            // nanPolicy 'skip' / loss scaling: look at the gradients before they touch the weights.
            const gradsFinite = mx.all(mx.isfinite(mx.stack(mx.treeArrays(grads, 'gradients').map((x) => mx.sum(mx.abs(x))))));
            const ok = mx.logicalAnd(mx.isfinite(loss), gradsFinite);
            mx.eval(loss, ok);
            if (!(ok.item() as boolean)) return { loss: (loss.item() as number) / scale, gradNorm: undefined, finite: false };
          }
          [norm] = this.compiledApply ? this.compiledApply(grads) : this.applyUpdate(grads);
        }
        keep(this.model.parameters());
        keep(this.optimizer.state);
        // Drop our handles on the replaced parameters and optimizer state before the eval: the graph
        // still holds them, and an update kernel may then write its results into their buffers.
        const after = new Set(this.stateArrays());
        for (const a of before) if (!after.has(a)) a.dispose();
        mx.eval(loss, norm ?? [], this.model.parameters(), this.optimizer.state, mx.random.getState());
        const lossValue = (loss.item() as number) / scale;
        const gradNorm = norm ? (norm.item() as number) : undefined;
        return { loss: lossValue, gradNorm, finite: Number.isFinite(lossValue) && (gradNorm === undefined || Number.isFinite(gradNorm)) };
      });
    } finally {
      mx.dispose([lossAcc, gradAcc]);
    }
  }
}
