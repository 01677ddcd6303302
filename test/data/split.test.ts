// Seeded stratified splits, k-fold, label encoding and the seeded generator.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, kFold, LabelEncoder, readCsvFile, TITANIC_TRAIN_PATH, trainValidationSplit } from '../../src/data/index.js';
import { SeededRandom } from '../../src/data/seeded-random.js';
import { tempDir } from './helpers.js';

const table = readCsvFile(TITANIC_TRAIN_PATH);
const survived = table.rows.map((r) => Number(r[1]));
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const rate = (idx: number[]): number => idx.reduce((n, i) => n + survived[i], 0) / idx.length;

describe('splits', () => {
  it('stratified 80/20 split of Titanic keeps the survival rate in both parts', () => {
    const s = trainValidationSplit(survived, { fraction: 0.2, seed: 42 });
    expect(s.validation.length).toBe(178);
    expect(s.train.length).toBe(713);
    expect(new Set([...s.train, ...s.validation]).size).toBe(891);
    const overall = rate(survived.map((_, i) => i));
    expect(Math.abs(rate(s.validation) - overall)).toBeLessThan(0.005);
    expect(Math.abs(rate(s.train) - overall)).toBeLessThan(0.005);
  });

  it('is deterministic in the seed and differs across seeds', () => {
    const a = trainValidationSplit(survived, { fraction: 0.2, seed: 1 });
    expect(trainValidationSplit(survived, { fraction: 0.2, seed: 1 })).toEqual(a);
    expect(trainValidationSplit(survived, { fraction: 0.2, seed: 2 }).validation).not.toEqual(a.validation);
  });

  it('k-fold partitions the rows, each fold stratified, sizes within one', () => {
    const folds = kFold(survived, { k: 5, seed: 7 });
    const all = folds.flatMap((f) => f.validation).sort((x, y) => x - y);
    expect(all).toEqual(survived.map((_, i) => i));
    const sizes = folds.map((f) => f.validation.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const f of folds) {
      expect(f.train.length + f.validation.length).toBe(891);
      expect(f.train.some((i) => f.validation.includes(i))).toBe(false);
      expect(Math.abs(rate(f.validation) - rate(f.train))).toBeLessThan(0.02);
    }
    expect(kFold(survived, { k: 5, seed: 7 })).toEqual(folds);
  });

  it('rejects bad fractions and fold counts', () => {
    expect(() => trainValidationSplit(survived, { fraction: 1.5, seed: 0 })).toThrow(DataError);
    expect(() => trainValidationSplit(survived, { fraction: 1.5, seed: 0 })).toThrow(/option 'validation.fraction'/);
    expect(() => trainValidationSplit([0, 1], { fraction: 0.1, seed: 0 })).toThrow(/leaves one part empty/);
    expect(() => kFold(survived, { k: 1, seed: 0 })).toThrow(/option 'validation.folds'/);
  });
});

describe('LabelEncoder', () => {
  it('sorts numeric labels numerically, saves and reloads the mapping as JSON', () => {
    const enc = LabelEncoder.fit('y', ['10', '2', '1', '2']);
    expect(enc.classes).toEqual(['1', '2', '10']);
    expect(enc.encode('10')).toBe(2);
    const path = `${tmp.dir}/labels.json`;
    enc.save(path);
    const json = JSON.parse(readFileSync(path, 'utf8'));
    expect(json).toEqual({ column: 'y', classes: ['1', '2', '10'], mapping: { '1': 0, '2': 1, '10': 2 } });
    expect(LabelEncoder.load(path).classes).toEqual(enc.classes);
    expect(enc.decode(1)).toBe('2');
  });

  it('names unknown labels, single-class columns and bad label maps', () => {
    const enc = LabelEncoder.fit('Survived', ['0', '1']);
    expect(() => enc.encode('yes', { file: 'x.csv', line: 9 })).toThrow(/x.csv, line 9, column 'Survived': unknown label "yes"/);
    expect(() => LabelEncoder.fit('y', ['a', 'a'])).toThrow(/at least 2/);
    expect(() => enc.decode(5)).toThrow(/outside 0..1/);
    expect(() => LabelEncoder.load(tmp.write('bad-labels.json', '{"column": 3}'))).toThrow(/bad-labels.json: expected \{column/);
    expect(() => LabelEncoder.load(tmp.write('trunc-labels.json', '{"column": "y", "cl'))).toThrow(/trunc-labels.json: cannot read the label map/);
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for a seed and is roughly uniform', () => {
    const a = new SeededRandom(123, 4);
    const b = new SeededRandom(123, 4);
    const xs = Array.from({ length: 20000 }, () => a.next());
    expect(Array.from({ length: 20000 }, () => b.next())).toEqual(xs);
    expect(new SeededRandom(123, 5).next()).not.toBe(xs[0]);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    const buckets = new Array(10).fill(0);
    xs.forEach((x) => buckets[Math.floor(x * 10)]++);
    for (const n of buckets) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });
});
