// One rank of the class-weight check: TrainStep steps with class-weighted cross-entropy on this rank's shard
// of each batch (gradients averaged over the group). Started alone: the whole batch in one process. Writes
// the final weights to $OUT_DIR/class-weights-<size>-<rank>.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as dist from '../../../src/distributed/index.js';
import * as optim from '../../../src/optim/index.js';
import { classificationLoss } from '../../../src/trainer/loss.js';
import { TrainStep } from '../../../src/trainer/step.js';
import { sliceBatch, snapshot, syntheticBatch, tinyModel } from '../../helpers/tiny-model.js';

const group = dist.getDefaultGroup();
const [rank, size] = [group.rank(), group.size()];
const model = tinyModel(1, { dropout: 0 });
const lossFn = classificationLoss({ loss: 'cross_entropy', labelSmoothing: 0, classWeights: [1, 7] });
const step = new TrainStep(model, new optim.AdamW({ learningRate: 1e-2, weightDecay: 0.01 }), lossFn, { maxGradNorm: null, compile: false });
const labelCounts: number[] = [];
for (let s = 0; s < 4; s++) {
  const batch = syntheticBatch(12, 8, s);
  const rows = dist.shardIndices(12, rank, size);
  const shard = sliceBatch(batch, rows[0], rows[rows.length - 1] + 1);
  labelCounts.push((shard.labels.toList() as number[]).reduce((n, l) => n + l, 0));
  step.run([shard]);
}
const weights = Object.fromEntries(Object.entries(snapshot(model)).map(([k, v]) => [k, Array.from(v)]));
writeFileSync(join(process.env.OUT_DIR!, `class-weights-${size}-${rank}.json`), JSON.stringify({ rank, size, labelCounts, weights }));
