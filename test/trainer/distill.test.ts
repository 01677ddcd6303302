// Distillation (training.distillation): the loss against PyTorch, the teacher's soft targets, and the
// trainer end to end with a real teacher run (a tiny BERT trained here), plus augmentation in the trainer.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mx, nn, Trainer } from '../../src/index.js';
import { bestCheckpoint } from '../../src/trainer/run-checkpoint.js';
import { distillationLoss, softTargetLoss } from '../../src/trainer/distill.js';
import { evaluateDetailed, type ClassifierModule } from '../../src/trainer/evaluate.js';
import { classificationLoss } from '../../src/trainer/loss.js';
import { type EncodedArray, fromFixture, loadFixture } from '../helpers/fixtures.js';
import { FixedLogits } from '../helpers/fixed-logits.js';
import { snapshot, tinyModelFactory, toyConfig, writeToyCsv } from '../helpers/tiny-model.js';

interface DistillCase {
  rows: number;
  classes: number;
  temperature: number;
  alpha: number;
  student: EncodedArray;
  teacher: EncodedArray;
  labels: EncodedArray;
  soft: number;
  hard: number;
  total: number;
  grad: EncodedArray;
}

describe('distillation loss vs PyTorch (scripts/fixtures/distill.py)', () => {
  const { cases } = loadFixture<DistillCase>('distill');
  const hard = classificationLoss({ loss: 'cross_entropy', labelSmoothing: 0, classWeights: null });

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const student = fromFixture(c.student);
    const teacher = fromFixture(c.teacher);
    const labels = fromFixture(c.labels);
    expect(softTargetLoss(student, teacher, c.temperature).item() as number).toBeCloseTo(c.soft, 5);
    // The batch carries [class id, teacher logits…] per row, as the data pipeline packs it.
    const packed = mx.concatenate([mx.expandDims(labels.astype('float32'), 1), teacher], 1);
    const model = new FixedLogits(student);
    const loss = distillationLoss(hard, { temperature: c.temperature, alpha: c.alpha });
    const batch = { inputIds: mx.zeros([c.rows, 1], 'int32'), attentionMask: mx.ones([c.rows, 1], 'int32'), tokenTypeIds: mx.zeros([c.rows, 1], 'int32'), labels: packed, size: c.rows };
    const [value, grads] = nn.valueAndGrad(model, () => loss(model, batch))();
    expect(value.item() as number).toBeCloseTo(c.total, 5);
    const g = (grads as { logits: mx.Array }).logits.toTypedArray() as Float32Array;
    const expected = c.grad.data as number[];
    for (let i = 0; i < expected.length; i++) expect(g[i]).toBeCloseTo(expected[i], 5);
    // Plain class ids (no soft targets): the hard-label loss alone.
    expect(loss(model, { ...batch, labels }).item() as number).toBeCloseTo(c.hard, 5);
  });
});

const root = mkdtempSync(join(tmpdir(), 'mlxt-distill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A tiny BERT teacher on the toy data (the distillation code rebuilds it from its checkpoint's config). */
const teacherConfig = (dir: string, extra: Record<string, unknown> = {}) =>
  toyConfig(dir, { epochs: 4, learningRate: 1e-3, compile: true }, { model: { architecture: 'bert', size: 'tiny', maxLength: 16, dropout: 0, pooling: 'mean' }, ...extra });

function student(dir: string, training: Record<string, unknown> = {}, data: Record<string, unknown> = {}, onLoss?: (l: number) => void, stopAt?: number) {
  const config = toyConfig(dir, { compile: true, checkpointEverySteps: 2, keepCheckpoints: 20, ...training });
  config.data = { ...config.data, ...data };
  const logs: string[] = [];
  const trainer = Trainer.fromConfig(config, {
    createModel: tinyModelFactory(0.2),
    log: (m) => logs.push(m),
    progress: false,
    plots: false,
    callbacks: [
      {
        onStepEnd: (s, control) => {
          onLoss?.(s.lastStep!.loss);
          if (stopAt !== undefined && s.globalStep === stopAt) control.shouldStop = true;
        },
      },
    ],
  });
  return { trainer, logs };
}

async function losses(dir: string, training: Record<string, unknown> = {}, data: Record<string, unknown> = {}): Promise<{ losses: number[]; trainer: Trainer; logs: string[] }> {
  const out: number[] = [];
  const s = student(dir, training, data, (l) => out.push(l));
  await s.trainer.fit();
  return { losses: out, trainer: s.trainer, logs: s.logs };
}

describe('training.distillation in the trainer', () => {
  const teacherDir = join(root, 'teacher');
  beforeAll(async () => {
    await Trainer.fromConfig(teacherConfig(teacherDir), { log: () => {}, progress: false, plots: false }).fit();
  }, 120_000);

  it('precomputes the teacher\'s logits for every row with its own pipeline (checkpoint file or run folder alike)', async () => {
    const { trainer } = await losses(join(root, 's-targets'), { epochs: 1, distillation: { teacher: join(teacherDir, 'out') } });
    const targets = trainer.setup().softTargets!;
    expect(targets.width).toBe(2);
    expect(targets.values.length).toBe(2 * trainer.data.table.rowCount);
    // The teacher's own evaluation of its validation rows gives the same probabilities.
    const teacher = Trainer.fromConfig(teacherConfig(teacherDir), { log: () => {}, progress: false });
    teacher.loadWeightsFrom('best');
    const e = await evaluateDetailed(teacher.model as ClassifierModule, teacher.data.validationLoader());
    e.rows!.forEach((row, i) => {
      const [a, b] = [targets.values[2 * row], targets.values[2 * row + 1]];
      const p1 = 1 / (1 + Math.exp(a - b));
      expect(p1).toBeCloseTo(e.probabilities[2 * i + 1], 5);
    });
    const file = bestCheckpoint(join(teacherDir, 'out', 'checkpoints'))!;
    const byFile = await losses(join(root, 's-file'), { epochs: 1, distillation: { teacher: file } });
    const again = byFile.trainer.setup().softTargets!;
    expect(Array.from(again.values)).toEqual(Array.from(targets.values));
  }, 120_000);

  it('changes training (alpha > 0) and leaves it bit-identical at alpha 0', async () => {
    const plain = await losses(join(root, 's-plain'));
    const mixed = await losses(join(root, 's-mixed'), { distillation: { teacher: join(teacherDir, 'out'), temperature: 2, alpha: 0.7 } });
    const none = await losses(join(root, 's-alpha0'), { distillation: { teacher: join(teacherDir, 'out'), alpha: 0 } });
    expect(mixed.losses.length).toBe(plain.losses.length);
    expect(mixed.losses).not.toEqual(plain.losses);
    expect(none.losses).toEqual(plain.losses);
    // The temperature is used: another T, another curve.
    const hot = await losses(join(root, 's-hot'), { distillation: { teacher: join(teacherDir, 'out'), temperature: 5, alpha: 0.7 } });
    expect(hot.losses).not.toEqual(mixed.losses);
    expect(mixed.logs.some((m) => /distillation: teacher .*checkpoint-\d+\.safetensors scored 64 rows/.test(m))).toBe(true);
  }, 120_000);

  it('resumes bit-identically with augmentation and distillation on', async () => {
    const training = { epochs: 3, distillation: { teacher: join(teacherDir, 'out'), alpha: 0.5 } };
    const data = { templates: ['bravo {text}', 'charlie {text}'], augment: { copies: 2, probability: 0.7 } };
    const full = await losses(join(root, 'r-full'), training, data);
    const dir = join(root, 'r-split');
    const first: number[] = [];
    const a = student(dir, training, data, (l) => first.push(l), 10);
    await a.trainer.fit();
    const second: number[] = [];
    const b = student(dir, training, data, (l) => second.push(l));
    await b.trainer.fit({ resumeFrom: 'latest' });
    expect([...first, ...second]).toEqual(full.losses);
    const [x, y] = [snapshot(full.trainer.model), snapshot(b.trainer.model)];
    for (const [k, v] of Object.entries(x)) expect(Buffer.from(y[k].buffer).equals(Buffer.from(v.buffer)), k).toBe(true);
  }, 120_000);

  it('takes a fine-tuned Hugging Face folder (fuse output) as the teacher, with the folder\'s tokenizer', async () => {
    const lora = teacherConfig(join(root, 'hf-teacher'));
    (lora.training as Record<string, unknown>).lora = { enabled: true, rank: 4, alpha: 8, targetModules: ['query', 'value'] };
    const tuned = Trainer.fromConfig(lora, { log: () => {}, progress: false, plots: false });
    await tuned.fit();
    const folder = tuned.saveFused(join(root, 'hf-teacher', 'fused'));
    const { trainer } = await losses(join(root, 's-hf'), { epochs: 1, distillation: { teacher: folder } });
    const targets = trainer.setup().softTargets!;
    // The fused model in memory scores the same rows the same way.
    const e = await evaluateDetailed(tuned.model as ClassifierModule, tuned.data.validationLoader());
    e.rows!.forEach((row, i) => expect(1 / (1 + Math.exp(targets.values[2 * row] - targets.values[2 * row + 1]))).toBeCloseTo(e.probabilities[2 * i + 1], 4));
  }, 120_000);

  it('rejects a teacher that cannot teach this student, naming the problem', async () => {
    const fit = (teacher: string, dir: string, data: Record<string, unknown> = {}) => student(join(root, dir), { epochs: 1, distillation: { teacher } }, data).trainer.fit();
    await expect(fit(join(root, 'nowhere'), 'e1')).rejects.toThrow(/training\.distillation\.teacher '.*nowhere': no such file or folder/);
    const empty = join(root, 'empty');
    mkdirSync(empty, { recursive: true });
    await expect(fit(empty, 'e2')).rejects.toMatchObject({ code: 'CONFIG_ERROR', message: expect.stringMatching(/neither a checkpoint file/) });
    const hf = join(root, 'hf');
    mkdirSync(hf, { recursive: true });
    writeFileSync(join(hf, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    await expect(fit(hf, 'e3')).rejects.toThrow(/config\.json has no id2label/);
    // Another label set: a CSV whose labels are not yes/no.
    const other = join(root, 'other.csv');
    writeToyCsv(other, 40);
    writeFileSync(other, readFileSync(other, 'utf8').replace(/,yes,/g, ',si,'));
    await expect(fit(join(teacherDir, 'out'), 'e4', { trainPath: other })).rejects.toThrow(/classes \[no, yes\] but the student's are \[no, si\]/);
  }, 120_000);

  it('a k-fold teacher teaches fold i of a k-fold student with its fold i model, and nothing else', async () => {
    const k = teacherConfig(join(root, 'k-teacher2'));
    k.data = { ...k.data, kFolds: 2 } as typeof k.data;
    (k.training as Record<string, unknown>).epochs = 1;
    await Trainer.fromConfig(k, { log: () => {}, progress: false, plots: false }).fit();
    const folded = join(root, 'k-teacher2', 'out');
    const s = await losses(join(root, 'k-student'), { epochs: 1, distillation: { teacher: folded } }, { kFolds: 2 });
    expect(s.logs.filter((m) => /distillation: teacher .*fold-0.*checkpoints/.test(m)).length).toBe(1);
    expect(s.logs.filter((m) => /distillation: teacher .*fold-1.*checkpoints/.test(m)).length).toBe(1);
    await expect(student(join(root, 'k-single'), { epochs: 1, distillation: { teacher: folded } }).trainer.fit()).rejects.toThrow(/is a k-fold run/);
    const file = bestCheckpoint(join(folded, 'fold-1', 'checkpoints'))!;
    await expect(student(join(root, 'k-file'), { epochs: 1, distillation: { teacher: file } }).trainer.fit()).rejects.toThrow(/set data\.kFolds=2/);
  }, 240_000);
});

describe('augmentation in the trainer', () => {
  it('copies multiply the optimizer steps of an epoch', () => {
    const one = student(join(root, 'a1'), { epochs: 2 }).trainer.setup();
    const three = student(join(root, 'a3'), { epochs: 2 }, { templates: ['bravo {text}'], augment: { copies: 3 } }).trainer.setup();
    expect(three.totalSteps).toBe(3 * one.totalSteps);
  });
});
