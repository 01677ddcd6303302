/**
 * Distillation on Titanic text: the `quick` student (a tiny BERT from scratch) alone against the same
 * student learning from a fine-tuned all-MiniLM-L6-v2 teacher (training.distillation), fold by fold of the
 * stratified 5-fold split (seed 42): fold i's student learns from the teacher fine-tuned on fold i's
 * training rows only, so no validation row reaches it. Runs are deterministic in the seed, so one run per
 * setting and fold; settings alternate, each in a fresh process.
 * The teacher is a k-fold output folder of `train -c configs/examples/minilm-full.yaml --set
 * model.pretrained=<MiniLM folder> --set data.kFolds=5 --set data.template=auto`; --teacher names one, or
 * the benchmark trains it first (about 2 CPU-minutes per fold on a quiet 2-core box, far more when loaded);
 * --folds picks the folds to run (default: those the teacher has).
 * Run: npm run bench -- distill [--teacher <dir> [--teacher-name <words for the table>]] [--folds 0,1] [--model <MiniLM folder>]
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, minilmFolder, nodeCase, root, runOnce, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';
import { spawnSync } from 'node:child_process';

interface Result {
  folds: { fold: number; best: number; last: number }[];
  seconds: number;
  load: number;
}

const argv = process.argv.slice(2);
const arg = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
let teacher = arg('--teacher');
if (!teacher) {
  teacher = join(mkdtempSync(join(tmpdir(), 'mlxt-distill-teacher-')), 'teacher');
  process.stderr.write(`distill: fine-tuning the MiniLM teacher (5 folds) into ${teacher}…\n`);
  const r = spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'train', '-c', join(root, 'configs', 'examples', 'minilm-full.yaml'), '--set', `model.pretrained=${minilmFolder('distill')}`, '--set', 'data.kFolds=5', '--set', 'data.template=auto', '--set', 'training.keepCheckpoints=1', '--output-dir', teacher, '--no-track'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`distill: training the teacher failed (exit ${r.status})`);
}
const folds = (arg('--folds') ?? '0,1,2,3,4').split(',').map(Number).filter((f) => existsSync(join(teacher!, `fold-${f}`, 'checkpoints')));
if (folds.length === 0) throw new Error(`distill: ${teacher} has no fold-<i>/checkpoints folder`);
const settings = [
  { name: 'quick student alone', sets: [] as string[] },
  { name: 'distilled (T 2, alpha 0.5)', sets: [`training.distillation={teacher: "${teacher}", temperature: 2, alpha: 0.5}`] },
  { name: 'distilled (T 4, alpha 0.9)', sets: [`training.distillation={teacher: "${teacher}", temperature: 4, alpha: 0.9}`] },
];
const rows: Record<string, { fold: number; best: number; last: number; seconds: number }[]> = {};
for (const fold of folds) {
  for (const s of settings) {
    process.stderr.write(`distill: fold ${fold + 1}, ${s.name}…\n`);
    const args = ['--preset', 'quick', '--fold', String(fold), '--set', 'data.kFolds=5', ...s.sets.flatMap((x) => ['--set', x])];
    const r = runOnce<Result>({ ...nodeCase(s.name, 'cv-fit.ts', args), timeoutMs: 3_600_000 });
    (rows[s.name] ??= []).push({ ...r.folds[0], seconds: r.seconds });
    process.stderr.write(`distill: ${JSON.stringify(r)}\n`);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — distillation: MiniLM teacher → quick student on Titanic text (distill)\n`);
console.log(describeMachine());
console.log(`- Teacher: ${arg('--teacher-name') ?? 'all-MiniLM-L6-v2 fully fine-tuned per fold (configs/examples/minilm-full.yaml, template auto)'}, ${teacher}; its logits precomputed once per row\n- Student: \`quick\` preset (tiny BERT from scratch, name: value text), fold i of the stratified 5-fold split (seed 42); best = checkpoint fit() returns, last = last epoch\n`);
console.log(table(
  ['setting', ...folds.map((f) => `fold ${f + 1} best / last`), 'mean best', 'mean last', 'wall s per fold'],
  settings.map((s) => [s.name, ...rows[s.name].map((r) => `${fmt(r.best, 3)} / ${fmt(r.last, 3)}`), fmt(mean(rows[s.name].map((r) => r.best)), 4), fmt(mean(rows[s.name].map((r) => r.last)), 4), fmt(mean(rows[s.name].map((r) => r.seconds)), 0)]),
));
// Paired by fold (same split, same seed): the gap to the student alone and its standard error.
const alone = rows[settings[0].name];
const gap = (xs: number[]) => {
  const m = mean(xs);
  const se = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1) / xs.length) : Number.NaN;
  return `${m >= 0 ? '+' : ''}${fmt(100 * m, 2)} ± ${Number.isNaN(se) ? 'n/a' : fmt(100 * se, 2)}`;
};
console.log('');
for (const s of settings.slice(1)) {
  const r = rows[s.name];
  console.log(`${s.name} vs the student alone over ${r.length} paired fold(s), accuracy points (mean gap ± s.e.): last epoch ${gap(r.map((x, i) => x.last - alone[i].last))}, best checkpoint ${gap(r.map((x, i) => x.best - alone[i].best))}`);
}
