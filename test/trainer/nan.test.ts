import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, Trainer, TrainingError } from '../../src/index.js';
import { TinyClassifier, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-nan-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The tiny classifier, but its `poisonCall`-th training forward pass returns NaN logits. */
class PoisonedClassifier extends TinyClassifier {
  private _calls = 0;
  constructor(vocab: number, labels: number, private readonly _poisonCall: number) {
    super(vocab, labels, 8, 0);
  }
  override forward(inputIds: mx.Array, inputs: { attentionMask?: mx.Array | null } = {}): mx.Array {
    const logits = super.forward(inputIds, inputs);
    if (this.training && ++this._calls === this._poisonCall) return mx.multiply(logits, Number.NaN);
    return logits;
  }
}

describe('NaN/Inf loss', () => {
  it("nanPolicy 'stop' fails with an error naming the step", async () => {
    const trainer = Trainer.fromConfig(toyConfig(join(root, 'stop'), { nanPolicy: 'stop' }), { createModel: (i) => new PoisonedClassifier(i.vocabSize, i.numLabels, 4), log: () => {} });
    const err = await trainer.fit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as TrainingError).code).toBe('NON_FINITE_LOSS');
    expect((err as Error).message).toMatch(/training diverged at step 4 \(epoch 1, batch 3\): the loss is NaN/);
  });

  it("nanPolicy 'skip' skips the step, leaves the weights untouched and trains on", async () => {
    const logs: string[] = [];
    let weightsBefore: Float32Array | undefined;
    let weightsAfter: Float32Array | undefined;
    const trainer = Trainer.fromConfig(toyConfig(join(root, 'skip'), { nanPolicy: 'skip' }), {
      createModel: (i) => new PoisonedClassifier(i.vocabSize, i.numLabels, 4),
      log: (m) => logs.push(m),
      callbacks: [
        {
          onStepEnd: (s) => {
            const w = (trainer.model as TinyClassifier).classifier.weight.toTypedArray() as Float32Array;
            if (s.globalStep === 3) weightsBefore = w.slice();
            if (s.globalStep === 4) weightsAfter = w.slice();
          },
        },
      ],
    });
    const result = await trainer.fit();
    expect(result.status).toBe('FINISHED');
    expect((result.state as { skippedSteps?: number }).skippedSteps).toBe(1);
    expect(logs.some((l) => /step 4: loss NaN; skipped/.test(l))).toBe(true);
    // Step 4 was skipped, so the 4th applied update is the 5th batch: weights moved once, finitely.
    expect(weightsAfter!.every(Number.isFinite)).toBe(true);
    expect(weightsAfter).not.toEqual(weightsBefore);
    for (const v of Object.values(mx.treeFlatten(trainer.model.parameters()))) expect(mx.all(mx.isfinite(v[1] as mx.Array)).item()).toBe(true);
  });
});
