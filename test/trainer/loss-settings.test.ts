// training.loss / focalGamma / classWeights reach the loss the Trainer trains with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, nn, Trainer } from '../../src/index.js';
import { syntheticBatch, tinyModel, tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-loss-settings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function trainerLoss(training: Record<string, unknown>): number {
  const trainer = Trainer.fromConfig(toyConfig(join(root, 'loss'), training), { createModel: tinyModelFactory(0), log: () => {}, progress: false });
  const { lossFn } = trainer.setup();
  const model = tinyModel(4, { dropout: 0, vocabSize: 50 });
  return lossFn(model, syntheticBatch(16, 6, 3)).item() as number;
}

describe('loss settings', () => {
  it('training.focalGamma sets the focal loss exponent (0 is cross-entropy)', () => {
    const model = tinyModel(4, { dropout: 0, vocabSize: 50 });
    const batch = syntheticBatch(16, 6, 3);
    const logits = model.forward(batch.inputIds, { attentionMask: batch.attentionMask });
    const reference = (gamma: number) => nn.losses.focalLoss(logits, batch.labels, { gamma, reduction: 'mean' }).item() as number;
    const ce = nn.losses.crossEntropy(logits, batch.labels, { reduction: 'mean' }).item() as number;
    expect(trainerLoss({ loss: 'focal', focalGamma: 0 })).toBeCloseTo(ce, 6);
    expect(trainerLoss({ loss: 'focal', focalGamma: 0.5 })).toBeCloseTo(reference(0.5), 6);
    expect(trainerLoss({ loss: 'focal' })).toBeCloseTo(reference(2), 6);
    expect(reference(0.5)).not.toBeCloseTo(reference(2), 3);
  });

  it('label smoothing changes the cross-entropy the Trainer trains with', () => {
    expect(trainerLoss({ labelSmoothing: 0.3 })).not.toBeCloseTo(trainerLoss({}), 3);
  });

  it('class-weighted cross-entropy carries its normalizer (the weight sum of the batch labels)', () => {
    const trainer = Trainer.fromConfig(toyConfig(join(root, 'cw'), { classWeights: [1, 3] }), { createModel: tinyModelFactory(0), log: () => {}, progress: false });
    const { lossFn } = trainer.setup();
    const batch = syntheticBatch(16, 6, 3);
    const labels = batch.labels.toList() as number[];
    expect(lossFn.normalizer!(batch)).toBe(labels.reduce((n, l) => n + (l === 1 ? 3 : 1), 0));
    mx.dispose([batch.inputIds, batch.attentionMask, batch.tokenTypeIds, batch.labels]);
  });
});
