// Training-time text augmentation (data.templates, data.augment) on a real CSV, tokenizer and loader.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DataOptions } from '../../src/data/dataset.js';
import { prepareData, predictionLoader } from '../../src/data/index.js';
import { ConfigError } from '../../src/errors.js';
import type { DataLoader } from '../../src/data/loader.js';
import { writeToyCsv } from '../helpers/tiny-model.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('mlxt-augment-');
afterAll(() => tmp.cleanup());
const csv = writeToyCsv(join(tmp.dir, 'toy.csv'), 60);
const base: DataOptions = { trainPath: csv, labelColumn: 'label', idColumn: 'id', vocabSize: 200, minFrequency: 1, cacheDir: join(tmp.dir, 'cache'), validationSplit: 0.25, batching: { batchSize: 8 } };
// The main rendering is the text column as is; the two extra templates mark their text with a word of their own.
const templates = ['bravo {text}', 'charlie {text}'];

function texts(data: ReturnType<typeof prepareData>, loader: DataLoader, epoch: number): string[] {
  const out: string[] = [];
  for (const b of loader.hostBatches(epoch)) {
    for (let r = 0; r < b.size; r++) {
      const ids = Array.from(b.inputIds.subarray(r * b.seqLen, (r + 1) * b.seqLen)).filter((_, t) => b.attentionMask[r * b.seqLen + t] === 1);
      out.push(data.tokenizer.decode(ids));
    }
  }
  return out;
}
const marker = (text: string) => (text.startsWith('bravo') ? 'bravo' : text.startsWith('charlie') ? 'charlie' : 'main');
const count = (xs: string[], m: string) => xs.filter((t) => marker(t) === m).length;

describe('data.templates / data.augment', () => {
  const plain = prepareData(base);
  const data = prepareData({ ...base, templates });

  it('trains on every template, drawing each row\'s rendering anew each epoch (default: one copy, probability 1)', () => {
    expect(data.augmentation).toEqual({ templates: 3, copies: 1, probability: 1 });
    const loader = data.trainLoader();
    const [e0, e1] = [texts(data, loader, 0), texts(data, loader, 1)];
    expect(e0.length).toBe(data.split.train.length);
    for (const m of ['main', 'bravo', 'charlie']) expect(count(e0, m)).toBeGreaterThan(e0.length / 6);
    // Same rows, other renderings: the epoch's texts differ although the rows are the same.
    expect([...e0].sort()).not.toEqual([...e1].sort());
    const strip = (t: string) => t.replace(/^(bravo|charlie) /, '');
    expect(e0.map(strip).sort()).toEqual(e1.map(strip).sort());
    // Without templates, every epoch trains on the main texts only.
    expect(plain.augmentation).toBeNull();
    expect(count(texts(plain, plain.trainLoader(), 0), 'main')).toBe(plain.split.train.length);
  });

  it('never changes what validation and prediction see: the main template only', () => {
    const v = texts(data, data.validationLoader(), 0);
    expect(v).toEqual(texts(plain, plain.validationLoader(), 0));
    expect(count(v, 'main')).toBe(v.length);
    const predicted = data.encodeFile(csv);
    expect(predicted.inputs).toEqual(plain.table.inputs);
    const p = texts(data, predictionLoader(predicted, data.tokenizer), 0);
    expect(count(p, 'main')).toBe(p.length);
  });

  it('the trained vocabulary knows the extra templates\' words', () => {
    expect(data.tokenizer.tokenToId('charlie')).not.toBeUndefined();
    expect(plain.tokenizer.tokenToId('charlie')).toBeUndefined();
  });

  it('copies multiply the epoch\'s examples: every training row `copies` times', () => {
    const three = prepareData({ ...base, templates, augment: { copies: 3 } });
    const rows = three.trainLoader().plan(0).flat().map((e) => e % three.table.rowCount);
    expect(rows.length).toBe(3 * three.split.train.length);
    const seen = new Map<number, number>();
    for (const r of rows) seen.set(r, (seen.get(r) ?? 0) + 1);
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([...three.split.train].sort((a, b) => a - b));
    expect(new Set(seen.values())).toEqual(new Set([3]));
    // With one template, copies repeat the main rendering.
    const repeated = prepareData({ ...base, augment: { copies: 2 } });
    expect(repeated.trainLoader().plan(0).flat().length).toBe(2 * repeated.split.train.length);
    expect(count(texts(repeated, repeated.trainLoader(), 0), 'main')).toBe(2 * repeated.split.train.length);
  });

  it('probability is the share of copies drawn from all templates (0: the main one only)', () => {
    const never = prepareData({ ...base, templates, augment: { probability: 0 } });
    expect(count(texts(never, never.trainLoader(), 0), 'main')).toBe(never.split.train.length);
    const some = prepareData({ ...base, templates, augment: { copies: 20, probability: 0.3 } });
    const t = texts(some, some.trainLoader(), 0);
    // Drawn with p = 0.3, uniformly over 3 templates: 0.1 each for the extra ones.
    expect(count(t, 'bravo') / t.length).toBeGreaterThan(0.06);
    expect(count(t, 'bravo') / t.length).toBeLessThan(0.14);
    expect(count(t, 'main') / t.length).toBeGreaterThan(0.72);
  });

  it('is deterministic in the seed and resumes mid-epoch exactly', () => {
    const again = prepareData({ ...base, templates });
    expect(again.trainLoader().plan(1)).toEqual(data.trainLoader().plan(1));
    expect(prepareData({ ...base, templates, seed: 7 }).trainLoader().plan(1)).not.toEqual(data.trainLoader().plan(1));
    const full = [...data.trainLoader().hostBatches(2)];
    const resumed = [...again.trainLoader().hostBatches(2, 3)];
    expect(resumed.map((b) => Array.from(b.inputIds))).toEqual(full.slice(3).map((b) => Array.from(b.inputIds)));
    expect(resumed.map((b) => Array.from(b.labels!))).toEqual(full.slice(3).map((b) => Array.from(b.labels!)));
  });

  it('labels follow each rendering of a row', () => {
    const loader = data.trainLoader();
    for (const b of loader.hostBatches(0)) b.rows.forEach((e, i) => expect(b.labels![i]).toBe(data.labelIds[e % data.table.rowCount]));
  });

  it('rejects bad settings with the key named', () => {
    const bad = (o: DataOptions, key: RegExp) => {
      let err: unknown;
      try {
        prepareData({ ...base, ...o });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toMatch(key);
    };
    bad({ templates, augment: { copies: 0 } }, /augment\.copies.*1\.\.100.*0/);
    bad({ templates, augment: { copies: 1.5 } }, /augment\.copies/);
    bad({ templates, augment: { probability: 1.5 } }, /augment\.probability.*\[0, 1\].*1\.5/);
    bad({ augment: { probability: 0.5 } }, /augment.*does nothing/);
    bad({ templates: ['bravo {txet}'] }, /templates\[0\].*txet/);
    bad({ templates: ['bravo {text}', 'auto'] }, /templates\[1\].*auto/);
    expect(() => parseConfig({ data: { augment: { copies: 0 } } })).toThrow(/data\.augment\.copies/);
    expect(() => parseConfig({ data: { augment: { probability: -0.1 } } })).toThrow(/data\.augment\.probability/);
    expect(() => parseConfig({ data: { augment: { probability: 0.5 } } })).toThrow(/data\.augment: augment does nothing/);
    expect(() => parseConfig({ data: { templates: [] } })).toThrow(/data\.templates/);
    expect(() => parseConfig({ data: { templates: ['auto'] } })).toThrow(/only a value of data\.template/);
    expect(() => parseConfig({ data: { augment: { copies: 2, probabilty: 1 } } })).toThrow(/probabilty/);
  });
});
