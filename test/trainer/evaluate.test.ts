import { describe, expect, it } from 'vitest';
import { mx, nn } from '../../src/index.js';
import { prepareData } from '../../src/data/index.js';
import { BestMetricTracker, defaultMode, evaluate, evaluateDetailed, isImprovement, metricsForLogging, monitoredValue } from '../../src/trainer/evaluate.js';
import { classificationMetrics } from '../../src/trainer/metrics.js';
import type { EvalMetrics } from '../../src/trainer/types.js';
import { sliceBatch, syntheticBatch, tinyModel } from '../helpers/tiny-model.js';

describe('evaluate', () => {
  it('batches give the metrics of one pass over the whole set, in eval mode, restoring train mode', async () => {
    const model = tinyModel(3, { dropout: 0.5 });
    const all = syntheticBatch(30, 7, 11);
    const parts = [sliceBatch(all, 0, 8), sliceBatch(all, 8, 20), sliceBatch(all, 20, 30)];
    expect(model.training).toBe(true);
    const first = await evaluateDetailed(model, parts);
    expect(model.training).toBe(true);
    // Dropout is off while evaluating: a second pass is identical.
    const second = await evaluate(model, parts);
    expect(second).toEqual(first.metrics);

    // The reference: one forward over all 30 rows in eval mode, MLX's cross-entropy over the whole set.
    model.eval();
    const logits = model.forward(all.inputIds, { attentionMask: all.attentionMask });
    const probs = mx.softmax(logits, -1).toTypedArray() as Float32Array;
    const loss = nn.losses.crossEntropy(logits, all.labels, { reduction: 'mean' }).item() as number;
    model.train();
    const labels = all.labels.toTypedArray() as Int32Array;
    expect(first.metrics.loss).toBeCloseTo(loss, 5);
    const reference = classificationMetrics({ labels, probabilities: probs, numClasses: 2, loss: first.metrics.loss });
    expect(first.metrics.confusionMatrix).toEqual(reference.confusionMatrix);
    expect(first.metrics.accuracy).toBe(reference.accuracy);
    expect(first.metrics.rocAuc).toBeCloseTo(reference.rocAuc as number, 12);
    expect(Array.from(first.labels)).toEqual(Array.from(labels));
    first.probabilities.forEach((p, i) => expect(Math.abs(p - probs[i])).toBeLessThan(1e-6));
    expect(first.metrics.samples).toBe(30);
  });

  it('evaluates a real validation DataLoader and keeps the example order', async () => {
    const data = prepareData({ cacheDir: null, vocabSize: 300, maxLength: 48, batching: { batchSize: 64 } });
    mx.random.seed(0);
    const model = tinyModel(0, { vocabSize: data.tokenizer.vocabSize });
    const result = await evaluateDetailed(model, data.validationLoader());
    expect(result.metrics.samples).toBe(data.split.validation.length);
    expect([...(result.rows ?? [])].sort((a, b) => a - b)).toEqual(data.split.validation);
    expect(Array.from(result.labels)).toEqual(result.rows!.map((r) => data.labelIds[r]));
    const total = result.metrics.confusionMatrix.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(data.split.validation.length);
    expect(result.metrics.loss).toBeGreaterThan(0);
  });

  it('names the problem for unlabelled batches and for wrong-shaped model outputs', async () => {
    const model = tinyModel(1);
    const b = syntheticBatch(4, 5, 1);
    await expect(evaluate(model, [{ ...b, labels: null }])).rejects.toThrow(/no labels; use predict/);
    await expect(evaluate(model, [])).rejects.toThrow(/no batches/);
    const flat = Object.assign(tinyModel(1), { forward: (ids: mx.Array) => mx.zeros([ids.shape[0]]) });
    await expect(evaluate(flat, [b])).rejects.toThrow(/expected \[batch, numClasses\] logits/);
  });
});

describe('best-model selection', () => {
  const metrics = (loss: number, f1: number): EvalMetrics => ({ ...classificationMetrics({ labels: [0, 1], probabilities: [0.9, 0.1, 0.2, 0.8], numClasses: 2 }), loss, f1 });

  it('reads monitored metrics by logged or EvalMetrics name, with a hint for typos', () => {
    const m = metrics(0.3, 0.7);
    expect(monitoredValue(m, 'val_loss')).toBe(0.3);
    expect(monitoredValue(m, 'f1')).toBe(0.7);
    expect(monitoredValue(m, 'val_roc_auc')).toBe(m.rocAuc);
    expect(monitoredValue(m, 'eval_f1_macro')).toBe(m.f1Macro);
    expect(() => monitoredValue(m, 'val_acuracy')).toThrow(/unknown monitored metric 'val_acuracy' \(did you mean 'val_accuracy'\?\)/);
    expect(Object.keys(metricsForLogging(m))).toContain('val_precision_weighted');
    expect(Object.keys(metricsForLogging(m))).not.toContain('val_confusion_matrix');
  });

  it('min and max modes with minDelta', () => {
    expect(defaultMode('val_loss')).toBe('min');
    expect(defaultMode('val_accuracy')).toBe('max');
    expect(isImprovement(0.5, undefined, 'min')).toBe(true);
    expect(isImprovement(Number.NaN, undefined, 'min')).toBe(false);
    expect(isImprovement(0.45, 0.5, 'min', 0.1)).toBe(false);
    expect(isImprovement(0.35, 0.5, 'min', 0.1)).toBe(true);
    expect(isImprovement(0.55, 0.5, 'max')).toBe(true);
    expect(isImprovement(0.5, 0.5, 'max')).toBe(false);

    const tracker = new BestMetricTracker({ monitor: 'val_f1' });
    expect(tracker.mode).toBe('max');
    expect(tracker.update(metrics(1, 0.5), 10)).toBe(true);
    expect(tracker.update(metrics(1, 0.4), 20)).toBe(false);
    expect(tracker.update(metrics(1, 0.6), 30)).toBe(true);
    expect(tracker.best).toEqual({ metric: 'val_f1', value: 0.6, step: 30 });
    const restored = new BestMetricTracker({ monitor: 'val_f1' });
    restored.loadStateDict(JSON.parse(JSON.stringify(tracker.stateDict())));
    expect(restored.update(metrics(1, 0.55), 40)).toBe(false);
    expect(() => new BestMetricTracker({ monitor: 'x', mode: 'up' as 'min' })).toThrow(/mode 'min' or 'max'/);
  });
});
