/**
 * What the index checks that mx.compile replays on its inputs (src/core/input-checks.ts) cost per training
 * step: the trainer's compiled step on a BERT-tiny classifier (batch 32 × seq 128, vocabulary 30,522,
 * AdamW + clipping; the smallest preset, so the check's share is the largest) against the checks it
 * runs on every call: the token ids and type ids against their embedding tables and the labels against
 * the classes. Both are timed in this process, alternating round by round.
 * Run: node --import ./scripts/register-ts.mjs bench/input-checks.ts [--rounds 5] [--steps 5]
 */
import { mx, models, optim } from '../src/index.js';
import { checkIndices } from '../src/core/indexing.js';
import { classificationLoss } from '../src/trainer/loop.js';
import { TrainStep, type StepBatch } from '../src/trainer/step.js';
import { argValue, fmt, median } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

const rounds = argValue('rounds', 5);
const steps = argValue('steps', 5);
const [B, T, V] = [32, 128, 30522];

const cfg = models.bertConfig('tiny', { numLabels: 2, vocabSize: V, maxPositionEmbeddings: 512 });
const model = models.createModel(cfg, 'sequence-classification') as never;
const loss = classificationLoss({ loss: 'cross_entropy', labelSmoothing: 0, classWeights: null });
const step = new TrainStep(model, new optim.AdamW({ learningRate: 1e-4 }), loss, { maxGradNorm: 1, compile: true });
const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % V);
const batch: StepBatch = {
  inputIds: mx.array(ids, { shape: [B, T] }),
  attentionMask: mx.ones([B, T], 'int32'),
  tokenTypeIds: mx.zeros([B, T], 'int32'),
  labels: mx.array(Int32Array.from({ length: B }, (_, i) => i % 2)),
  size: B,
};
mx.eval(batch.inputIds, batch.attentionMask, batch.tokenTypeIds, batch.labels);

const time = (fn: () => void, n: number) => {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
};
// The checks one compiled step runs (the same calls input-checks.ts replays).
const checks = () => {
  checkIndices('take', batch.inputIds, V, 'axis 0');
  checkIndices('take', batch.tokenTypeIds, cfg.typeVocabSize, 'axis 0');
  checkIndices('nn.losses.crossEntropy', batch.labels, 2, 'the class axis');
};

step.run([batch]); // trace + compile
checks();
const stepMs: number[] = [];
const checkMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  stepMs.push(time(() => step.run([batch]), steps));
  checkMs.push(time(checks, 200));
}
const s = median(stepMs);
const c = median(checkMs);
console.log([
  `### Index checks replayed by mx.compile: cost per training step (${rounds} alternating rounds, medians)`,
  '',
  describeMachine(),
  '',
  '| compiled step ms (BERT-tiny, 32 × 128, AdamW) | input checks ms per step (ids, type ids, labels: 8,224 values) | checks / step |',
  '| --- | --- | --- |',
  `| ${fmt(s, 1)} | ${fmt(c, 3)} | ${fmt((100 * c) / s, 3)}% |`,
].join('\n'));
