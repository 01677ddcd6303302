// Distillation for regression, multilabel and ordinal (src/trainer/distill.ts): the loss around each task
// head's own hard loss, against PyTorch (scripts/fixtures/distill_tasks.py), with the labels packed
// beside the teacher's outputs as the data pipeline packs them.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { LabelEncoder } from '../../src/data/labels.js';
import type { Targets, TaskKind } from '../../src/data/targets.js';
import { mx, nn } from '../../src/index.js';
import { distillationLoss } from '../../src/trainer/distill.js';
import { taskHead } from '../../src/trainer/tasks/heads.js';
import { type EncodedArray, fromFixture, loadFixture } from '../helpers/fixtures.js';
import { FixedLogits } from '../helpers/fixed-logits.js';

interface TaskCase {
  task: TaskKind;
  alpha: number;
  temperature: number;
  loss?: 'mse' | 'huber';
  delta?: number;
  student: EncodedArray;
  teacher: EncodedArray;
  labels: EncodedArray;
  soft: number;
  hard: number;
  total: number;
  grad: EncodedArray;
}

function headFor(c: TaskCase, width: number) {
  const config = parseConfig({ model: { task: c.task }, training: { loss: c.loss ?? 'auto', huberDelta: c.delta ?? 1 } });
  const classes = c.task === 'ordinal' ? Array.from({ length: width + 1 }, (_, i) => String(i)) : c.task === 'multilabel' ? Array.from({ length: width }, (_, i) => `l${i}`) : ['y'];
  const targets = { task: c.task, reason: 'test', columns: ['y'], encoder: new LabelEncoder('y', classes, 1), ids: new Int32Array(0), values: new Float32Array(0), width: c.task === 'multilabel' ? width : 1, scaling: { mean: 0, std: 1 } } as Targets;
  return taskHead(config, targets);
}

describe('task distillation losses vs PyTorch (scripts/fixtures/distill_tasks.py)', () => {
  const { cases } = loadFixture<TaskCase>('distill_tasks');

  it.each(cases.map((c, i) => [`${i} ${c.task}${c.loss ? ` ${c.loss}` : ''}`, c] as const))('case %s', (_, c) => {
    const student = fromFixture(c.student);
    const teacher = fromFixture(c.teacher);
    const labels = fromFixture(c.labels);
    const rows = student.shape[0];
    const width = student.shape[1];
    const head = headFor(c, width);
    const lw = c.task === 'multilabel' ? width : 1;
    // [labels…, teacher outputs…] per row, as collate.ts packs them.
    const own = lw === 1 ? mx.expandDims(labels.astype('float32'), 1) : labels.astype('float32');
    const packed = mx.concatenate([own, teacher.ndim === 1 ? mx.expandDims(teacher, 1) : teacher], 1);
    const model = new FixedLogits(student);
    const loss = distillationLoss(head.trainLoss, { temperature: c.temperature, alpha: c.alpha, task: c.task, labelWidth: lw });
    const batch = { inputIds: mx.zeros([rows, 1], 'int32'), attentionMask: mx.ones([rows, 1], 'int32'), tokenTypeIds: mx.zeros([rows, 1], 'int32'), labels: packed, size: rows };
    const [value, grads] = nn.valueAndGrad(model, () => loss(model, batch))();
    expect(value.item() as number).toBeCloseTo(c.total, 5);
    const g = (grads as { logits: mx.Array }).logits.toTypedArray() as Float32Array;
    (c.grad.data as number[]).forEach((e, i) => expect(g[i]).toBeCloseTo(e, 5));
    // alpha 1: the soft term alone; plain labels (no teacher): the hard loss alone.
    const soft = distillationLoss(head.trainLoss, { temperature: c.temperature, alpha: 1, task: c.task, labelWidth: lw });
    expect(soft(model, batch).item() as number).toBeCloseTo(c.soft, 5);
    expect(loss(model, { ...batch, labels }).item() as number).toBeCloseTo(c.hard, 5);
  });
});
