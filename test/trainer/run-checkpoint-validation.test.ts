/**
 * Checkpoints that are well-formed safetensors but wrong inside: tensors of another dtype, a trainer
 * record that is not an object, negative steps, an epoch past the run's epochs. Each is an error naming
 * the file and the tensor or key (before this, they were loaded silently).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, optim } from '../../src/index.js';
import { parseConfig } from '../../src/config/load.js';
import { CheckpointError, loadCheckpoint, loadModelWeights, readTrainerState, restoreOptimizerState, saveCheckpoint, type TrainerCheckpointState } from '../../src/trainer/run-checkpoint.js';
import { TrainStep } from '../../src/trainer/step.js';
import { classificationLoss, syntheticBatch, tinyModel } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-ck-validate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = parseConfig({ training: { seed: 5, epochs: 3 } });
const state: TrainerCheckpointState = { globalStep: 4, epoch: 1, batchIndex: 2, totalSteps: 12, dataSeed: 5 };

function goodCheckpoint(): string {
  const model = tinyModel(3);
  const optimizer = new optim.AdamW({ learningRate: 1e-2 });
  new TrainStep(model, optimizer, classificationLoss, { maxGradNorm: 1, compile: false }).run([syntheticBatch(4, 5, 0)]);
  return saveCheckpoint(join(root, 'good'), { model, optimizer, trainer: state, callbacks: {}, config });
}
const good = goodCheckpoint();

/** A copy of the good checkpoint with its arrays and metadata changed by `edit`. */
let n = 0;
function crafted(edit: (arrays: Record<string, mx.Array>, meta: Record<string, string>) => void): string {
  const { arrays, metadata } = mx.load(good);
  edit(arrays, metadata);
  const path = join(root, `crafted-${n++}.safetensors`);
  mx.save(path, arrays, metadata);
  return path;
}
const withTrainer = (t: unknown) => crafted((_, m) => (m.trainer = JSON.stringify(t)));

function errorOf(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as CheckpointError).code).toBe('CHECKPOINT_ERROR');
    return err as CheckpointError;
  }
  throw new Error('expected a CheckpointError, but the checkpoint was accepted');
}

describe('checkpoint trainer state', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object (a number)', 42, /trainer state \(metadata 'trainer'\) must be an object but is 42/],
    ['not an object (an array)', [1, 2], /must be an object but is an array/],
    ['null', null, /must be an object but is null/],
    ['negative globalStep', { ...state, globalStep: -3 }, /key 'globalStep' must be a non-negative integer but is -3/],
    ['fractional batchIndex', { ...state, batchIndex: 1.5 }, /key 'batchIndex' must be a non-negative integer but is 1.5/],
    ['missing epoch', { ...state, epoch: undefined }, /key 'epoch' must be a non-negative integer/],
    ['epoch as a string', { ...state, epoch: '1' }, /key 'epoch' must be a non-negative integer but is "1"/],
    ['absurd epoch (past the run\'s training.epochs)', { ...state, epoch: 1e9 }, /key 'epoch' must be at most 3 \(the run's training.epochs\) but is 1000000000/],
    ['negative totalSteps', { ...state, totalSteps: -1 }, /key 'totalSteps'/],
    ['best without a metric', { ...state, best: { value: 1, step: 2 } }, /key 'best' must be \{metric/],
  ];
  for (const [label, trainer, pattern] of cases) {
    it(`${label}: loadCheckpoint and readTrainerState both refuse it, naming the file`, () => {
      const path = withTrainer(trainer);
      for (const read of [() => loadCheckpoint(path), () => readTrainerState(path)]) {
        const err = errorOf(read);
        expect(err.message).toMatch(pattern);
        expect(err.message).toContain(path);
      }
    });
  }

  it('the untouched checkpoint loads (the checks pass honest state)', () => {
    expect(loadCheckpoint(good).trainer).toEqual(state);
    expect(readTrainerState(good)).toEqual(state);
  });
});

describe('checkpoint tensors of the wrong dtype', () => {
  it('a model weight stored as float16 is refused on load, naming file, tensor and both dtypes', () => {
    const path = crafted((a) => (a['model.hidden.weight'] = a['model.hidden.weight'].astype('float16')));
    const ck = loadCheckpoint(path);
    const err = errorOf(() => loadModelWeights(tinyModel(1), ck));
    expect(err.message).toMatch(/model\.hidden\.weight: expected float32 but found float16/);
    expect(err.message).toContain(path);
  });

  it('an integer embedding table is refused too', () => {
    const path = crafted((a) => (a['model.embedding.weight'] = a['model.embedding.weight'].astype('int32')));
    expect(errorOf(() => loadModelWeights(tinyModel(1), loadCheckpoint(path))).message).toMatch(/model\.embedding\.weight: expected float32 but found int32/);
  });

  it('optimizer state of the wrong dtype is refused on resume', () => {
    const key = Object.keys(mx.load(good).arrays).find((k) => k.startsWith('optimizer.') && k.endsWith('.m'))!;
    const path = crafted((a) => (a[key] = a[key].astype('bfloat16')));
    const ck = loadCheckpoint(path);
    const model = tinyModel(1);
    const err = errorOf(() => restoreOptimizerState(new optim.AdamW({ learningRate: 1e-2 }), model, ck.optimizer, path));
    expect(err.message).toContain(`'${key}' has the wrong dtype: expected float32 but found bfloat16`);
  });

  it('a random key that is not uint32 [2] is refused', () => {
    const path = crafted((a) => (a['rng.key'] = mx.array([1.5, 2.5], 'float32')));
    expect(errorOf(() => loadCheckpoint(path)).message).toMatch(/tensor 'rng.key' must be uint32 \[2\] but is float32 \[2\]/);
  });

  it('weights of the right dtypes load (the check does not refuse honest checkpoints)', () => {
    const model = tinyModel(1);
    loadModelWeights(model, loadCheckpoint(good));
    expect(model.hidden.weight.dtype).toBe('float32');
  });
});
