import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { listCheckpoints } from '../../src/trainer/run-checkpoint.js';
import { snapshot, tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(dir: string, training: Record<string, unknown>, stopAt?: number) {
  const losses: number[] = [];
  const trainer = Trainer.fromConfig(toyConfig(dir, training), {
    createModel: tinyModelFactory(0.2),
    log: () => {},
    callbacks: [
      {
        onStepEnd: (s, control) => {
          losses.push(s.lastStep!.loss);
          if (stopAt !== undefined && s.globalStep === stopAt) control.shouldStop = true;
        },
      },
    ],
  });
  return { trainer, losses };
}

describe.each([
  { compile: false, accumulation: 1 },
  { compile: true, accumulation: 2 },
])('resume (compile=$compile, accumulation=$accumulation)', ({ compile, accumulation }) => {
  it('stopping at step k and resuming from its checkpoint gives bit-identical weights to an uninterrupted run', async () => {
    const training = { compile, gradientAccumulationSteps: accumulation, checkpointEverySteps: 2, keepCheckpoints: 10, epochs: 3 };
    const full = run(join(root, `full-${compile}`), training);
    const fullResult = await full.trainer.fit();
    const expected = snapshot(full.trainer.model);

    // Stop mid-epoch (epoch 2), right after a checkpoint.
    const stopAt = accumulation === 1 ? 8 : 4;
    const dir = join(root, `split-${compile}`);
    const first = run(dir, training, stopAt);
    const partial = await first.trainer.fit();
    expect(partial.state.globalStep).toBe(stopAt);
    expect(listCheckpoints(join(dir, 'out', 'checkpoints')).map((c) => c.step)).toContain(stopAt);

    const second = run(dir, training);
    const resumed = await second.trainer.fit({ resumeFrom: 'latest' });
    expect(resumed.state.globalStep).toBe(fullResult.state.globalStep);
    // The loss curve continues exactly where it stopped.
    expect([...first.losses, ...second.losses]).toEqual(full.losses);
    const actual = snapshot(second.trainer.model);
    for (const [k, v] of Object.entries(expected)) expect(Buffer.from(actual[k].buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  });
});
