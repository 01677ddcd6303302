// What the labels are: the task inference rule, multi-label parsing, regression scaling, and the errors.
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/data/csv.js';
import { chooseTask, readTargets, scaleTargets, type TargetOptions } from '../../src/data/targets.js';

const base: TargetOptions = { task: 'auto', labelColumn: 'y', labelColumns: null, labelDelimiter: null, targetScaling: 'standardize', missingValues: ['', 'NA'] };
const table = (rows: string[]) => parseCsv(['x,y', ...rows].join('\n'), 'test.csv');

describe('task inference (model.task: auto)', () => {
  const choose = (values: string[], o: Partial<TargetOptions> = {}) => chooseTask({ ...base, ...o }, 'y', values);
  it.each([
    [['cat', 'dog', 'cat'], 'classification', /non-numeric values/],
    [['0', '1', '1'], 'classification', /2 distinct integers \(0\.\.1\): binary/],
    [['1.5', '2', '3'], 'regression', /numbers with fractions/],
    [Array.from({ length: 21 }, (_, i) => String(i)), 'regression', /21 distinct integers \(0\.\.20\), more than 20/],
  ])('%j → %s', (values, task, reason) => {
    const c = choose(values as string[]);
    expect(c.task).toBe(task);
    expect(c.reason).toMatch(reason);
    expect(c.warning).toBeUndefined();
  });

  it('a 1..9 column stays 9 classes, but says so and how to change it', () => {
    const c = choose(Array.from({ length: 9 }, (_, i) => String(i + 1)));
    expect(c.task).toBe('classification');
    expect(c.warning).toMatch(/9 distinct integer values \(1\.\.9\): training 9 unordered classes.*model.task: ordinal.*model.task: regression/);
  });

  it('labelColumns / labelDelimiter make it multilabel; a contradicting model.task is a config error', () => {
    expect(choose([], { labelDelimiter: '|' }).task).toBe('multilabel');
    expect(choose([], { labelColumns: ['a', 'b'] }).reason).toMatch(/data.labelColumns lists 2 0\/1 columns/);
    expect(() => choose([], { labelDelimiter: '|', task: 'regression' })).toThrow(expect.objectContaining({ code: 'CONFIG_ERROR', message: expect.stringMatching(/model.task is regression but data.labelDelimiter is '\|'/) }));
    expect(() => choose(['a'], { task: 'multilabel' })).toThrow(/neither data.labelDelimiter nor data.labelColumns/);
    expect(choose(['1', '2'], { task: 'regression' })).toEqual({ task: 'regression', reason: 'set by model.task' });
  });
});

describe('reading targets', () => {
  it('multi-label from a delimiter: sorted label names, multi-hot rows, an empty cell is no label', () => {
    const t = readTargets(table(['a,red|blue', 'b,', 'c,blue']), { ...base, labelDelimiter: '|' });
    expect(t.encoder.classes).toEqual(['blue', 'red']);
    expect(Array.from(t.values)).toEqual([1, 1, 0, 0, 1, 0]);
    expect(t.width).toBe(2);
  });

  it('multi-label from 0/1 columns; any other cell names file, line and column', () => {
    const csv = parseCsv('x,a,b\nq,1,0\nr,0,1', 't.csv');
    const t = readTargets(csv, { ...base, labelColumns: ['a', 'b'] });
    expect(Array.from(t.values)).toEqual([1, 0, 0, 1]);
    expect(t.columns).toEqual(['a', 'b']);
    const bad = parseCsv('x,a,b\nq,1,0\nr,yes,1', 't.csv');
    expect(() => readTargets(bad, { ...base, labelColumns: ['a', 'b'] })).toThrow("t.csv, line 3, column 'a': a data.labelColumns cell must be 0 or 1 but is \"yes\"");
    expect(() => readTargets(csv, { ...base, labelColumns: ['a', 'c'] })).toThrow(/the label column 'c' is not in the header/);
  });

  it('regression: standardised with the training rows only (validation rows do not leak in); none keeps the units', () => {
    const t = readTargets(table(['a,1.5', 'b,2.5', 'c,100']), base);
    expect(t.task).toBe('regression');
    scaleTargets(t, [0, 1], 'standardize');
    expect(t.scaling).toEqual({ mean: 2, std: 0.5 });
    expect(Array.from(t.values)).toEqual([-1, 1, 196]);
    const raw = readTargets(table(['a,1.5', 'b,2.5']), base);
    scaleTargets(raw, [0, 1], 'none');
    expect(Array.from(raw.values)).toEqual([1.5, 2.5]);
    const saved = readTargets(table(['a,1.5', 'b,2.5']), base);
    scaleTargets(saved, [0, 1], 'standardize', { mean: 0.5, std: 2 });
    expect(Array.from(saved.values)).toEqual([0.5, 1]);
  });

  it('a non-numeric regression target or ordinal level is an error naming the row', () => {
    expect(() => readTargets(table(['a,1.5', 'b,high']), { ...base, task: 'regression' })).toThrow("test.csv, line 3, column 'y': a regression target must be a number but is \"high\"");
    expect(() => readTargets(table(['a,low', 'b,high']), { ...base, task: 'ordinal' })).toThrow(/an ordinal label column must hold numbers/);
  });

  it('ordinal classes in numeric order; a missing label names its line', () => {
    const t = readTargets(table(['a,10', 'b,2', 'c,3']), { ...base, task: 'ordinal' });
    expect(t.encoder.classes).toEqual(['2', '3', '10']);
    expect(Array.from(t.values)).toEqual([2, 0, 1]);
    expect(() => readTargets(table(['a,1', 'b,NA']), base)).toThrow("test.csv, line 3, column 'y': missing label");
  });
});

describe('through the data pipeline', () => {
  it('data.targetScaling reaches the batches: standardised by default, target units with none', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { prepareData } = await import('../../src/data/dataset.js');
    const dir = mkdtempSync(join(tmpdir(), 'mlxt-targets-'));
    const csv = join(dir, 'r.csv');
    writeFileSync(csv, `x,y\n${Array.from({ length: 20 }, (_, i) => `w${i % 3},${100 + i * 0.5}`).join('\n')}\n`);
    const opts = { trainPath: csv, labelColumn: 'y', cacheDir: null, vocabSize: 100 };
    const scaled = prepareData(opts);
    const raw = prepareData({ ...opts, targetScaling: 'none' });
    expect(scaled.targets.task).toBe('regression');
    expect(Math.max(...Array.from(scaled.targets.values).map(Math.abs))).toBeLessThan(3);
    expect(raw.targets.scaling).toEqual({ mean: 0, std: 1 });
    expect(Math.min(...Array.from(raw.targets.values))).toBeGreaterThanOrEqual(100);
    for await (const b of raw.validationLoader().epoch(0)) {
      expect(b.labels!.dtype).toBe('float32');
      expect((b.labels!.toList() as number[]).every((v) => v >= 100)).toBe(true);
      b.dispose();
    }
  });
});
