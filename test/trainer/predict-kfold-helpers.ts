/** Shared by the predict and k-fold tests: a real (tiny) training run on prepared data, and a Titanic-style test CSV. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optim } from '../../src/index.js';
import { type PreparedData, readCsvFile, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { TrainStep } from '../../src/trainer/step.js';
import { classificationLoss, type TinyClassifier, tinyModel } from '../helpers/tiny-model.js';

export async function trainTiny(data: PreparedData, seed: number, epochs = 1): Promise<TinyClassifier> {
  const model = tinyModel(seed, { vocabSize: data.tokenizer.vocabSize, numLabels: data.labels.numClasses, dropout: 0 });
  const step = new TrainStep(model, new optim.AdamW({ learningRate: 3e-2, weightDecay: 0 }), classificationLoss, { maxGradNorm: 1, compile: false });
  const loader = data.trainLoader();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for await (const batch of loader.epoch(epoch)) {
      step.run([{ inputIds: batch.inputIds, attentionMask: batch.attentionMask, tokenTypeIds: batch.tokenTypeIds, labels: batch.labels!, size: batch.size }]);
      batch.dispose();
    }
  }
  return model;
}

const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The first `rows` Titanic rows without the Survived column: Kaggle's test.csv format. */
export function titanicTestCsv(rows: number): { path: string; ids: string[] } {
  const table = readCsvFile(TITANIC_TRAIN_PATH);
  const keep = table.columns.map((c, i) => (c === 'Survived' ? -1 : i)).filter((i) => i >= 0);
  const body = table.rows.slice(0, rows).map((r) => keep.map((i) => quote(r[i])).join(','));
  const path = join(mkdtempSync(join(tmpdir(), 'mlxt-predict-')), 'test.csv');
  writeFileSync(path, `${keep.map((i) => table.columns[i]).join(',')}\n${body.join('\n')}\n`);
  return { path, ids: table.rows.slice(0, rows).map((r) => r[table.columns.indexOf('PassengerId')]) };
}
