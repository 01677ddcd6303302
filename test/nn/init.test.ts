// nn.init against mlx.nn.init: for the same global seed MLX's threefry draws are identical, so small
// arrays must match value for value; large arrays are checked by their statistics against Python's and
// against each initializer's formula (mean and std within a few percent for 98k samples).
import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { expectMatches, loadFixture, type EncodedArray } from '../helpers/fixtures.js';

interface InitCase {
  name: string;
  shape: number[];
  seed: number;
  args: (number | string)[];
  options: Record<string, number>;
  mean: number;
  std: number;
  min: number;
  max: number;
  dtype: string;
  values?: EncodedArray;
}

const { cases } = loadFixture<InitCase>('nn-init');

function run(c: InitCase): mx.Array {
  const a = mx.zeros(c.shape);
  const [kind, mode] = c.name.split(' ');
  const o = c.options;
  switch (kind) {
    case 'constant': return nn.init.constant(0.7)(a);
    case 'normal': return nn.init.normal(o.mean, o.std)(a);
    case 'uniform': return nn.init.uniform(o.low, o.high)(a);
    case 'identity': return nn.init.identity()(a);
    case 'glorotNormal': return nn.init.glorotNormal()(a, c.args[0] as number);
    case 'glorotUniform': return nn.init.glorotUniform()(a, c.args[0] as number);
    case 'heNormal': return nn.init.heNormal()(a, mode as nn.init.FanMode, c.args[1] as number);
    case 'heUniform': return nn.init.heUniform()(a, mode as nn.init.FanMode, c.args[1] as number);
    case 'truncatedNormal': return nn.init.truncatedNormal(o.mean, o.std)(a);
    default: throw new Error(`unknown initializer ${c.name}`);
  }
}

/** The standard deviation each initializer is meant to have (null where it is not a simple formula). */
function expectedStd(c: InitCase): number | null {
  const [fanOut, fanIn] = c.shape;
  const [kind, mode] = c.name.split(' ');
  const fan = mode === 'fan_out' ? fanOut : fanIn;
  switch (kind) {
    case 'normal': return c.options.std;
    case 'uniform': return (c.options.high - c.options.low) / Math.sqrt(12);
    case 'glorotNormal': return (c.args[0] as number) * Math.sqrt(2 / (fanIn + fanOut));
    case 'glorotUniform': return (c.args[0] as number) * Math.sqrt(6 / (fanIn + fanOut)) / Math.sqrt(3);
    case 'heNormal': return (c.args[1] as number) / Math.sqrt(fan);
    case 'heUniform': return (c.args[1] as number) * Math.sqrt(3 / fan) / Math.sqrt(3);
    default: return null;
  }
}

describe('nn.init matches mlx.nn.init', () => {
  it.each(cases.filter((c) => c.values))('$name: identical values for seed $seed', (c) => {
    mx.random.seed(c.seed);
    expectMatches(run(c), c.values!, { atol: 0, rtol: 1e-7, label: c.name });
  });

  it.each(cases.filter((c) => !c.values))('$name: statistics of $shape for seed $seed', (c) => {
    mx.random.seed(c.seed);
    const out = run(c);
    expect(out.shape).toEqual(c.shape);
    expect(out.dtype).toBe(c.dtype);
    const mean = out.mean().item() as number;
    const std = mx.std(out).item() as number;
    // Same draws as Python: the statistics agree to float32 reduction noise.
    expect(mean).toBeCloseTo(c.mean, 5);
    expect(Math.abs(std - c.std)).toBeLessThan(1e-5 * Math.max(1, c.std));
    expect(out.min().item()).toBeCloseTo(c.min, 5);
    expect(out.max().item()).toBeCloseTo(c.max, 5);
    const want = expectedStd(c);
    if (want !== null) expect(Math.abs(std - want) / want).toBeLessThan(0.02);
    if (c.name === 'truncatedNormal') {
      expect(out.min().item()).toBeGreaterThanOrEqual(0.1 - 2 * 0.02 - 1e-6);
      expect(out.max().item()).toBeLessThanOrEqual(0.1 + 2 * 0.02 + 1e-6);
    }
  });

  it('rejects shapes an initializer cannot use', () => {
    expect(() => nn.init.identity()(mx.zeros([2, 3]))).toThrow(/must be square \(2-D\) but received shape \[2,3\]/);
    expect(() => nn.init.glorotUniform()(mx.zeros([5]))).toThrow(/at least 2 dimensions but received shape \[5\]/);
    expect(() => nn.init.heNormal()(mx.zeros([2, 3]), 'fan_avg' as any)).toThrow(/invalid mode 'fan_avg'/);
  });
});
