// training.mixedPrecision: the forward pass really runs in the half dtype (master weights stay fp32), and
// fp16's loss scaler halves its scale and skips the step when the scaled gradients overflow.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, optim, Trainer } from '../../src/index.js';
import { loadCheckpoint, listCheckpoints } from '../../src/trainer/run-checkpoint.js';
import { DynamicLossScaler } from '../../src/trainer/precision.js';
import { TrainStep } from '../../src/trainer/step.js';
import { classificationLoss, snapshot, syntheticBatch, TinyClassifier, tinyModel, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-precision-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The tiny classifier, recording the dtype of the weights its training forward passes compute with. */
class DtypeProbe extends TinyClassifier {
  _seen = new Set<string>();
  override forward(inputIds: mx.Array, inputs: { attentionMask?: mx.Array | null } = {}): mx.Array {
    if (this.training) this._seen.add(`${this.embedding.weight.dtype}/${this.hidden.weight.dtype}/${this.classifier.weight.dtype}`);
    return super.forward(inputIds, inputs);
  }
}

async function computeDtypes(mode: 'off' | 'bf16' | 'fp16'): Promise<{ seen: string[]; trainer: Trainer }> {
  let probe: DtypeProbe | undefined;
  const trainer = Trainer.fromConfig(toyConfig(join(root, mode), { epochs: 1, mixedPrecision: mode }), {
    createModel: (info) => (probe = new DtypeProbe(info.vocabSize, info.numLabels, 8, 0)),
    log: () => {},
    progress: false,
  });
  await trainer.fit();
  return { seen: [...probe!._seen], trainer };
}

describe('training.mixedPrecision', () => {
  it.each([
    ['off', 'float32'],
    ['bf16', 'bfloat16'],
    ['fp16', 'float16'],
  ] as const)('%s: the training forward pass computes in %s, and the master weights stay float32', async (mode, dtype) => {
    const { seen, trainer } = await computeDtypes(mode);
    expect(seen).toEqual([`${dtype}/${dtype}/${dtype}`]);
    for (const [, v] of mx.treeFlatten(trainer.model.parameters())) expect((v as mx.Array).dtype).toBe('float32');
  });

  it('an fp16 step whose scaled gradients overflow leaves the weights untouched and reports itself not finite', () => {
    const model = tinyModel(3, { dropout: 0 });
    const before = snapshot(model);
    const step = new TrainStep(model, new optim.SGD({ learningRate: 0.1 }), classificationLoss, { maxGradNorm: null, compile: false, computeDtype: 'float16', lossScale: () => 2 ** 24 });
    const result = step.run([syntheticBatch(8, 6, 1)], { checkFiniteFirst: true });
    expect(result.finite).toBe(false);
    expect(Number.isFinite(result.loss)).toBe(true);
    expect(snapshot(model)).toEqual(before);
    // The same step at a sane scale is finite and moves the weights.
    const ok = new TrainStep(model, new optim.SGD({ learningRate: 0.1 }), classificationLoss, { maxGradNorm: null, compile: false, computeDtype: 'float16', lossScale: () => 2 ** 8 });
    expect(ok.run([syntheticBatch(8, 6, 1)], { checkFiniteFirst: true }).finite).toBe(true);
    expect(snapshot(model)).not.toEqual(before);
  });

  it('in training, an fp16 overflow halves the loss scale and skips the step; clean steps then train', async () => {
    const dir = join(root, 'overflow');
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 3, mixedPrecision: 'fp16' }), { createModel: (info) => new TinyClassifier(info.vocabSize, info.numLabels, 8, 0), log: () => {}, progress: false });
    const scaler = trainer.setup().scaler!;
    expect(scaler).toBeInstanceOf(DynamicLossScaler);
    const start = 2 ** 22;
    scaler.scale = start;
    const result = await trainer.fit();
    const skipped = (result.state as { skippedSteps?: number }).skippedSteps ?? 0;
    expect(skipped).toBeGreaterThan(0);
    // Each overflow halved the scale once; the steps that ran are the batches that were not skipped.
    expect(scaler.scale).toBe(start / 2 ** skipped);
    const batches = trainer.data.split.train.length / 8;
    expect(result.state.globalStep).toBe(3 * Math.ceil(batches) - skipped);
    expect(result.state.globalStep).toBeGreaterThan(0);
    const ck = loadCheckpoint(listCheckpoints(trainer.checkpointDir).at(-1)!.path);
    expect(ck.trainer.lossScaler).toEqual({ scale: scaler.scale, goodSteps: result.state.globalStep });
    expect(Number.isFinite(result.metrics!.loss)).toBe(true);
  });
});
