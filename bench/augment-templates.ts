/**
 * Do several templates per row help? The embedded Titanic data, stratified 5-fold cross-validation (seed
 * 42, as the standard preset's RESULTS rows), a preset (default quick) with its recommended template
 * (`template: auto`) against the same run with two more templates of the same facts in other words and
 * order (data.templates; each epoch draws each training row's rendering from the three: augment
 * probability 1, copies 1, so both runs take the same steps), and optionally with --copies N. Validation
 * always reads the main template. Runs are deterministic in the seed, so one run per setting; the
 * settings alternate, each in a fresh process.
 * Run: npm run bench -- augment-templates [--preset quick|standard] [--copies N]
 */
import { fmt, nodeCase, runOnce, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Result {
  folds: { fold: number; best: number; last: number }[];
  meanBest: number;
  meanLast: number;
  oof: number | null;
  seconds: number;
  load: number;
}

const argv = process.argv.slice(2);
const preset = argv.includes('--preset') ? argv[argv.indexOf('--preset') + 1] : 'quick';
const copies = argv.includes('--copies') ? Number(argv[argv.indexOf('--copies') + 1]) : 0;
// The recommended template's facts (embedded.ts), worded and ordered two other ways.
const age = '{Age:bin(child<13, teen<18, young<30, adult<50, older)|unknown}';
const fare = '{Fare:bin(cheap<8, low<15, mid<30, high<70, luxury)}';
const title = '{Name:match(([A-Za-z]+)\\.)|no title}';
const templates = [
  `a ${age} ${'{Sex}'} titled ${title} travelling in class {Pclass} on a ${fare} fare from port {Embarked|unknown}[ with a cabin on deck {Cabin:match(^([A-Z]))}], with {SibSp} siblings and {Parch} parents aboard`,
  `class {Pclass}; ${fare} fare; ${title}; {Sex}; age ${age}; siblings {SibSp}; parents {Parch}; port {Embarked|unknown}[; deck {Cabin:match(^([A-Z]))}]`,
];
const common = ['--preset', preset, '--set', 'data.kFolds=5', '--set', 'data.template=auto'];
const extra = ['--set', `data.templates=${JSON.stringify(templates)}`];
const settings = [
  { name: 'main template only', args: common },
  { name: '3 templates (probability 1, copies 1)', args: [...common, ...extra] },
  ...(copies > 1 ? [{ name: `3 templates, copies ${copies}`, args: [...common, ...extra, '--set', `data.augment={copies: ${copies}, probability: 1}`] }] : []),
];
const results = settings.map((s) => {
  process.stderr.write(`augment-templates: ${s.name}…\n`);
  const r = runOnce<Result>({ ...nodeCase(s.name, 'cv-fit.ts', s.args), timeoutMs: 3_600_000 });
  process.stderr.write(`augment-templates: ${JSON.stringify(r)}\n`);
  return { name: s.name, r };
});

console.log(`## ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — several templates per row (data.templates) on Titanic, ${preset} preset, 5-fold CV (augment-templates)\n`);
console.log(describeMachine());
console.log(`- Protocol: embedded Titanic data, stratified 5 folds, seed 42, \`${preset}\` preset with \`data.template: auto\`; validation renders the main template only; best = the checkpoint fit() returns (best epoch on the monitor), last = the last epoch (held out, the honest figure)\n`);
console.log(table(
  ['setting', ...[1, 2, 3, 4, 5].map((f) => `fold ${f} best / last`), 'mean best', 'mean last', 'out-of-fold', 'wall s', 'load at end'],
  results.map(({ name, r }) => [name, ...r.folds.map((f) => `${fmt(f.best, 3)} / ${fmt(f.last, 3)}`), fmt(r.meanBest, 4), fmt(r.meanLast, 4), r.oof === null ? '—' : fmt(r.oof, 4), fmt(r.seconds, 0), fmt(r.load, 1)]),
));
const [a, b] = results.map((x) => x.r);
const gaps = a.folds.map((f, i) => b.folds[i].last - f.last);
const m = gaps.reduce((x, y) => x + y, 0) / gaps.length;
const se = Math.sqrt(gaps.reduce((x, g) => x + (g - m) ** 2, 0) / (gaps.length - 1) / gaps.length);
console.log(`\n3 templates vs 1, last epoch: ${fmt(100 * m, 2)} ± ${fmt(100 * se, 2)} (s.e.) accuracy points, mean of 5 paired fold gaps; best checkpoint: ${fmt(100 * (b.meanBest - a.meanBest), 2)} points.`);
