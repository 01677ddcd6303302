import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Trainer } from '../../src/index.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-determinism-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function lossCurve(name: string, training: Record<string, unknown>): Promise<number[]> {
  const losses: number[] = [];
  const trainer = Trainer.fromConfig(toyConfig(join(root, name), training), {
    createModel: tinyModelFactory(0.2),
    log: () => {},
    callbacks: [{ onStepEnd: (s) => void losses.push(s.lastStep!.loss) }],
  });
  await trainer.fit();
  return losses;
}

describe('determinism on the CPU', () => {
  it('the same config and seed give the same loss curve, bit for bit; another seed does not', async () => {
    const a = await lossCurve('a', { seed: 11, epochs: 2 });
    const b = await lossCurve('b', { seed: 11, epochs: 2 });
    const c = await lossCurve('c', { seed: 12, epochs: 2 });
    expect(a.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});
