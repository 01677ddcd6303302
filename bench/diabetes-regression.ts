/**
 * Regression on a real public dataset: scikit-learn's diabetes data (data/diabetes/train.csv, 442
 * patients, copied from the venv's sklearn by scripts/fixtures/diabetes_csv.py), each row rendered as
 * text with a template that names every variable's quintile, a tiny BERT trained from scratch by config
 * alone (model.task inferred: regression; target standardised), against scikit-learn baselines on the raw
 * features of the same train/validation rows (bench/reference/diabetes_sklearn.py, run in this process tree).
 * Prints a Markdown section for bench/RESULTS.md. Run under the CPU lock:
 *   node --import ./scripts/register-ts.mjs bench/diabetes-regression.ts [--seeds 42,1,2] [--epochs 30]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../src/index.js';
import { fmt, pythonPath, root } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const seeds = arg('seeds', '42,1,2').split(',').map(Number);
const epochs = Number(arg('epochs', '30'));
const csv = join(root, 'data', 'diabetes', 'train.csv');

// Quintile boundaries of each variable over the 442 rows (pandas quantile 0.2/0.4/0.6/0.8).
const Q: Record<string, number[]> = {
  age: [36, 47, 53, 60], bmi: [22.62, 24.7, 26.86, 30.3], bp: [83, 89, 97, 109], tc: [161, 180.4, 195, 217.8], ldl: [91.84, 105.48, 121, 140.68],
  hdl: [39, 45, 52, 60], tch: [3, 3.862, 4, 5], ltg: [4.1897, 4.4427, 4.7791, 5.06764], glu: [82, 88.4, 93, 100],
};
const levels = ['vlow', 'low', 'mid', 'high', 'vhigh'];
const bin = (c: string) => `{${c}:bin(${Q[c].map((b, i) => `${levels[i]}<${b}`).join(', ')}, ${levels[4]})}`;
const template = `age ${bin('age')}, sex {sex}, bmi ${bin('bmi')}, bp ${bin('bp')}, tc ${bin('tc')}, ldl ${bin('ldl')}, hdl ${bin('hdl')}, tch ${bin('tch')}, ltg ${bin('ltg')}, glu ${bin('glu')}`;

const rows: string[] = [];
// Described before the runs, so its load average is the one at the start.
const machine = describeMachine();
for (const seed of seeds) {
  const dir = mkdtempSync(join(tmpdir(), 'mlx-train-diabetes-'));
  const started = performance.now();
  const trainer = new Trainer({
    preset: 'quick',
    set: [
      `data.trainPath=${csv}`, 'data.labelColumn=progression', 'data.idColumn=id', `data.template=${template}`, `data.cacheDir=${dir}/cache`,
      `training.epochs=${epochs}`, `training.seed=${seed}`, 'training.learningRate=5e-4', 'model.maxLength=48',
      'tracking.enabled=false', `outputDir=${dir}/out`,
    ],
    progress: false,
    plots: false,
    log: (m) => (m.startsWith('task:') || m.startsWith('warning') ? process.stderr.write(`${m}\n`) : undefined),
  });
  // Last-epoch weights: nothing is selected on the validation rows, so the figure is held out.
  const result = await trainer.fit({ restoreBest: false });
  const seconds = (performance.now() - started) / 1000;
  const data = trainer.data;
  const ids = (idx: number[]) => idx.map((i) => Number(data.table.ids[i]));
  const splitPath = join(dir, 'split.json');
  writeFileSync(splitPath, JSON.stringify({ train: ids(data.split.train), validation: ids(data.split.validation) }));
  const ref = spawnSync(pythonPath(), [join(root, 'bench', 'reference', 'diabetes_sklearn.py'), csv, splitPath], { encoding: 'utf8' });
  if (ref.status !== 0) throw new Error(`sklearn baseline failed: ${ref.stderr}`);
  const sk = JSON.parse(ref.stdout) as Record<string, { r2: number; rmse: number; mae: number }>;
  const m = result.metrics!;
  rows.push(`| ${seed} | mlx-train, tiny BERT on text rows (${epochs} epochs, ${seconds.toFixed(0)} s) | ${fmt(m.r2 as number, 3)} | ${fmt(m.rmse as number, 1)} | ${fmt(m.mae as number, 1)} |`);
  for (const [name, s] of Object.entries(sk)) rows.push(`| ${seed} | scikit-learn ${name}, raw features | ${fmt(s.r2, 3)} | ${fmt(s.rmse, 1)} | ${fmt(s.mae, 1)} |`);
  rmSync(dir, { recursive: true, force: true });
}
console.log(`## Regression on the diabetes data (issue #22): mlx-train vs scikit-learn, same split

${machine}
- Load average at end: ${loadavg()[0].toFixed(2)}
- Data: sklearn's diabetes set (442 rows, 10 variables, target: progression after one year), 80/20 split
  by training.seed; mlx-train sees each row as text (template: each variable's quintile as a word),
  scikit-learn the raw numbers. Validation R² of the last epoch's weights (no selection on those rows).

| seed | model | val R² | val RMSE | val MAE |
| --- | --- | --- | --- | --- |
${rows.join('\n')}
`);
