import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, optim } from '../../src/index.js';
import { parseConfig } from '../../src/config/load.js';
import {
  CHECKPOINT_FORMAT, checkpointName, listCheckpoints, loadCheckpoint, pruneCheckpoints, restoreOptimizerState, saveCheckpoint, type TrainerCheckpointState,
} from '../../src/trainer/run-checkpoint.js';
import { TrainStep } from '../../src/trainer/step.js';
import { classificationLoss, snapshot, syntheticBatch, tinyModel } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = parseConfig({ training: { seed: 5 } });
const trainerState = (step: number): TrainerCheckpointState => ({ globalStep: step, epoch: 1, batchIndex: 3, totalSteps: 20, dataSeed: 5, best: { metric: 'val_loss', value: 0.5, step } });

function trained(steps: number) {
  const model = tinyModel(3);
  const optimizer = new optim.AdamW({ learningRate: 1e-2 });
  const step = new TrainStep(model, optimizer, classificationLoss, { maxGradNorm: 1, compile: false });
  for (let i = 0; i < steps; i++) step.run([syntheticBatch(6, 5, i)]);
  return { model, optimizer };
}

function flatState(o: optim.Optimizer): Record<string, number[]> {
  return Object.fromEntries(mx.treeFlatten(o.state).map(([k, v]) => [k, (v as mx.Array).astype('float64').toList() as number[]]));
}

describe('checkpoints', () => {
  it('round-trips weights, optimizer state, RNG key, loop state, callback states and the config exactly', () => {
    const dir = join(root, 'roundtrip');
    const { model, optimizer } = trained(3);
    mx.random.seed(99);
    const key = mx.random.getState().toTypedArray();
    const path = saveCheckpoint(dir, { model, optimizer, trainer: trainerState(3), callbacks: { early: { patience: 2 } }, config });
    expect(path.endsWith(checkpointName(3))).toBe(true);

    const ck = loadCheckpoint(path);
    const fresh = tinyModel(4);
    fresh.loadWeights(ck.model);
    expect(snapshot(fresh)).toEqual(snapshot(model));
    const other = new optim.AdamW({ learningRate: 1e-2 });
    restoreOptimizerState(other, fresh, ck.optimizer, path);
    expect(flatState(other)).toEqual(flatState(optimizer));
    expect(Array.from(ck.rngKey.toTypedArray() as Uint32Array)).toEqual(Array.from(key as Uint32Array));
    expect(ck.trainer).toEqual(trainerState(3));
    expect(ck.callbacks).toEqual({ early: { patience: 2 } });
    expect(ck.config).toEqual(JSON.parse(JSON.stringify(config)));
    expect(ck.configYaml).toMatch(/seed: 5/);
  });

  it('a crash between writing and renaming leaves the previous checkpoint intact and no partial file', () => {
    const dir = join(root, 'atomic');
    const { model, optimizer } = trained(1);
    const first = saveCheckpoint(dir, { model, optimizer, trainer: trainerState(1), callbacks: {}, config });
    const before = snapshot(model);
    // Train on, then "crash" while overwriting the same file name.
    const step = new TrainStep(model, optimizer, classificationLoss, { maxGradNorm: 1, compile: false });
    step.run([syntheticBatch(6, 5, 9)]);
    expect(() =>
      saveCheckpoint(dir, { model, optimizer, trainer: trainerState(2), callbacks: {}, config }, {
        name: checkpointName(1),
        beforeRename: () => {
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    expect(readdirSync(dir)).toEqual(['checkpoint-00000001.safetensors']);
    const ck = loadCheckpoint(first);
    expect(ck.trainer.globalStep).toBe(1);
    const restored = tinyModel(0);
    restored.loadWeights(ck.model);
    expect(snapshot(restored)).toEqual(before);
  });

  it('a temp file left by a killed writer is never listed and is removed when pruning', () => {
    const dir = join(root, 'stale');
    const { model, optimizer } = trained(1);
    saveCheckpoint(dir, { model, optimizer, trainer: trainerState(4), callbacks: {}, config });
    const stale = join(dir, `.tmp-999999-1-${checkpointName(8)}`);
    writeFileSync(stale, 'half a checkpoint');
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([4]);
    pruneCheckpoints(dir, 2);
    expect(existsSync(stale)).toBe(false);
  });

  it('keeps the newest K checkpoints and the best one', () => {
    const dir = join(root, 'prune');
    const { model, optimizer } = trained(1);
    for (const s of [1, 2, 3, 4, 5]) saveCheckpoint(dir, { model, optimizer, trainer: trainerState(s), callbacks: {}, config });
    pruneCheckpoints(dir, 2, [checkpointName(2)]);
    expect(listCheckpoints(dir).map((c) => c.step)).toEqual([2, 4, 5]);
  });

  it('rejects files that are not mlx-train checkpoints, naming the file', () => {
    const path = join(root, 'weights.safetensors');
    mx.save(path, { w: mx.ones([2]) });
    expect(() => loadCheckpoint(path)).toThrow(new RegExp(`not an mlx-train checkpoint.*expected '${CHECKPOINT_FORMAT}'.*weights\\.safetensors`));
    expect(() => loadCheckpoint(join(root, 'missing.safetensors'))).toThrow(/no such checkpoint.*missing\.safetensors/);
  });
});
