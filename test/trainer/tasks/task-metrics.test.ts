// Task metrics and losses against scikit-learn and PyTorch (scripts/fixtures/task_metrics.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mx from '../../../src/core/index.js';
import { parseConfig } from '../../../src/config/load.js';
import { LabelEncoder } from '../../../src/data/labels.js';
import type { Targets } from '../../../src/data/targets.js';
import { taskHead } from '../../../src/trainer/tasks/heads.js';
import { multilabelMetrics, ordinalMetrics, quadraticWeightedKappa, regressionMetrics } from '../../../src/trainer/tasks/metrics.js';
import { defaultMode } from '../../../src/trainer/evaluate.js';
import { METRIC_TABLE, metricsOf, modeOf } from '../../../src/trainer/tasks/metric-table.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Case = any;
const cases = (list: Case[]): [number, Case][] => list.map((c, i) => [i, c]);
const fixture = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'task-metrics.json'), 'utf8'));

describe('task metrics equal scikit-learn', () => {
  it.each(cases(fixture.regression))('regression case %i: rmse, mse, mae, r2', (_, c) => {
    const m = regressionMetrics(c.yhat, c.y);
    for (const key of ['rmse', 'mse', 'mae', 'r2']) expect(m[key], key).toBeCloseTo(c[key], 10);
    expect(m.accuracy).toBeNaN();
  });

  it('a constant target: r2 is 1 when exact, 0 otherwise (sklearn force_finite)', () => {
    expect(regressionMetrics([3, 3], [3, 3]).r2).toBe(1);
    expect(regressionMetrics([3, 4], [3, 3]).r2).toBe(0);
  });

  it.each(cases(fixture.multilabel))('multilabel case %i: subset accuracy, micro/macro F1, hamming', (_, c) => {
    const m = multilabelMetrics(c.probabilities, c.targets, c.labels);
    for (const key of ['subsetAccuracy', 'f1Micro', 'f1Macro', 'precisionMicro', 'recallMicro', 'precisionMacro', 'recallMacro', 'hammingLoss']) expect(m[key], key).toBeCloseTo(c[key], 10);
    expect(m.accuracy).toBe(m.subsetAccuracy);
    expect(m.f1).toBe(m.f1Micro);
  });

  it.each(cases(fixture.ordinal))('ordinal case %i: quadratic weighted kappa, accuracy, MAE, macro F1', (_, c) => {
    const m = ordinalMetrics(c.labels, c.predictions, c.classes);
    for (const key of ['qwk', 'accuracy', 'mae', 'f1Macro']) expect(m[key], key).toBeCloseTo(c[key], 10);
  });

  it('kappa is undefined (NaN, left out of the metrics) when every row and prediction is one class', () => {
    expect(quadraticWeightedKappa([1, 1], [1, 1], 3)).toBeNaN();
    expect(ordinalMetrics([1, 1], [1, 1], 3).qwk).toBeUndefined();
  });
});

function targets(task: Targets['task'], classes: string[], extra: Partial<Targets> = {}): Targets {
  return { task, reason: 'test', columns: ['y'], encoder: new LabelEncoder('y', classes, 1), ids: new Int32Array(0), values: new Int32Array(0), width: 1, ...extra };
}

const headLoss = (task: Targets['task'], classes: string[], set: Record<string, unknown>, logits: mx.Array, labels: mx.Array, extra: Partial<Targets> = {}) =>
  taskHead(parseConfig({ training: set } as Record<string, unknown>), targets(task, classes, extra)).evalLoss(logits, labels).item() as number;

describe('task losses equal PyTorch', () => {
  const L = fixture.losses;
  it('multilabel: per-label binary cross-entropy with logits', () => {
    const v = headLoss('multilabel', ['a', 'b', 'c'], {}, mx.array(L.multilabel.logits, 'float32').reshape(L.multilabel.shape), mx.array(L.multilabel.targets, 'float32').reshape(L.multilabel.shape));
    expect(v).toBeCloseTo(L.multilabel.bce, 5);
  });

  it('regression: MSE, Huber (delta 1 and 0.5): the delta setting changes the loss', () => {
    const p = mx.array(L.regression.predictions, 'float32').reshape([-1, 1]);
    const y = mx.array(L.regression.targets, 'float32');
    expect(headLoss('regression', ['y'], {}, p, y)).toBeCloseTo(L.regression.mse, 5);
    expect(headLoss('regression', ['y'], { loss: 'huber' }, p, y)).toBeCloseTo(L.regression.huber, 5);
    expect(headLoss('regression', ['y'], { loss: 'huber', huberDelta: 0.5 }, p, y)).toBeCloseTo(L.regression.huber05, 5);
  });

  it('ordinal: the CORAL loss on K-1 "y > k" logits', () => {
    const o = L.ordinal;
    const classes = Array.from({ length: o.classes }, (_, i) => String(i));
    expect(headLoss('ordinal', classes, {}, mx.array(o.logits, 'float32').reshape([-1, o.classes - 1]), mx.array(o.labels, 'int32'))).toBeCloseTo(o.coral, 5);
  });

  it('a loss of another task is a config error naming training.loss', () => {
    expect(() => headLoss('regression', ['y'], { loss: 'bce' }, mx.zeros([1, 1]), mx.zeros([1]))).toThrow(/training.loss 'bce' does not fit model.task regression; use mse or huber/);
    expect(() => headLoss('multilabel', ['a', 'b'], { classWeights: [1, 2] }, mx.zeros([1, 2]), mx.zeros([1, 2]))).toThrow(/classWeights applies to model.task classification only/);
  });
});

describe('the metric table', () => {
  it('names every task metric val_<snake_case> with a mode; early stopping defaults to that mode', () => {
    expect(metricsOf('regression').map((m) => m.name)).toEqual(['val_loss', 'val_rmse', 'val_mse', 'val_mae', 'val_r2']);
    expect(modeOf('val_rmse')).toBe('min');
    expect(modeOf('val_r2')).toBe('max');
    expect(modeOf('val_qwk')).toBe('max');
    expect(modeOf('val_hamming_loss')).toBe('min');
    expect(defaultMode('val_mae')).toBe('min');
    expect(defaultMode('val_f1_micro')).toBe('max');
    expect(new Set(METRIC_TABLE.map((m) => m.name)).size).toBe(METRIC_TABLE.length);
  });

  it('every metric a task reports is in its table row set, and the reverse', () => {
    const reg = regressionMetrics([1, 2, 3], [1, 2, 4]);
    const ml = multilabelMetrics([0.9, 0.1, 0.2, 0.7], [1, 0, 0, 1], 2);
    const ord = ordinalMetrics([0, 1, 2], [0, 2, 2], 3, 0.5);
    for (const [task, m] of [['regression', reg], ['multilabel', ml], ['ordinal', ord]] as const) {
      const reported = Object.keys(m).filter((k) => typeof m[k] === 'number' && Number.isFinite(m[k] as number) && k !== 'samples').sort();
      expect(reported, task).toEqual(metricsOf(task).map((r) => r.key).sort());
    }
  });
});

describe('the batch-size finder', () => {
  it('probes a multi-label or regression loss with labels of that task\'s shape', async () => {
    const { findBatchSize } = await import('../../../src/trainer/batch-size.js');
    const { tinyModel } = await import('../../helpers/tiny-model.js');
    for (const [task, classes] of [['multilabel', ['a', 'b', 'c']], ['regression', ['y']]] as const) {
      const head = taskHead(parseConfig({}), targets(task, [...classes], { width: classes.length }));
      const model = tinyModel(0, { vocabSize: 50, numLabels: head.width });
      const found = findBatchSize({ model, lossFn: head.trainLoss, maxLength: 8, vocabSize: 50, start: 1, max: 4, memoryLimitBytes: 2 ** 30 });
      expect(found.batchSize, task).toBe(4);
    }
  });
});
