/**
 * Per-op CPU cost of building MLX graphs from Node vs Python MLX, frees counted on both sides: chains of
 * 1,000 small ops (six kinds), dropped unevaluated (`build + free`) or evaluated first (`+ eval`); the
 * Node side frees through GC finalizers (arrays just dropped) and through mx.tidy. See
 * bench/cases/op-overhead.ts for the timing rules. Goals: ≤ 1.2× Python MLX per op; a bare call ≤ 100 ns.
 * Run: npm run bench -- op-overhead [--trials N]
 */
import { argValue, fmt, median, pythonCase, root, runTrials, table, type Contender } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';
import { join } from 'node:path';

type NodeOp = { gcBuild: number; tidyBuild: number; gcEval: number; tidyEval: number };
type PyOp = { build: number; eval: number };
interface NodeResult { results: Record<string, NodeOp>; bareCallNs: number; bareGcMs: number; trackedObjectNs: number }
interface PyResult { results: Record<string, PyOp> }

const ARGS = ['1000', '200', '50'];

export function run(trials = argValue('trials', 5)): string {
  // --expose-gc: the window closes with a full GC so that every array it made is freed inside it.
  const node: Contender = {
    name: 'node',
    command: process.execPath,
    args: ['--expose-gc', '--import', join(root, 'scripts', 'register-ts.mjs'), join(root, 'bench', 'cases', 'op-overhead.ts'), ...ARGS],
  };
  const results = runTrials<NodeResult | PyResult>([node, pythonCase('python-mlx', 'op_overhead.py', ARGS)], trials,
    (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const ns = results.get('node') as NodeResult[];
  const py = results.get('python-mlx') as PyResult[];
  const ops = Object.keys(py[0].results);
  const med = (xs: number[]) => median(xs);
  // Each figure: the median over trials; each ratio: of the medians.
  const nodeMed = (op: string, k: keyof NodeOp) => med(ns.map((r) => r.results[op][k]));
  const pyMed = (op: string, k: keyof PyOp) => med(py.map((r) => r.results[op][k]));
  const cols: [string, keyof NodeOp, keyof PyOp][] = [
    ['build + free, GC', 'gcBuild', 'build'],
    ['build + free, tidy', 'tidyBuild', 'build'],
    ['+ eval, GC', 'gcEval', 'eval'],
    ['+ eval, tidy', 'tidyEval', 'eval'],
  ];
  const ratio = (op: string, c: (typeof cols)[number]) => nodeMed(op, c[1]) / pyMed(op, c[2]);
  const rows = ops.map((op) => [
    op.replace(/\|/g, '\\|'),  // a Markdown cell
    fmt(pyMed(op, 'build'), 0), fmt(nodeMed(op, 'gcBuild'), 0), fmt(nodeMed(op, 'tidyBuild'), 0),
    fmt(pyMed(op, 'eval'), 0), fmt(nodeMed(op, 'gcEval'), 0), fmt(nodeMed(op, 'tidyEval'), 0),
    ...cols.map((c) => `${fmt(ratio(op, c))}×`),
  ]);
  rows.push(['**median over ops**', '', '', '', '', '', '', ...cols.map((c) => `**${fmt(med(ops.map((op) => ratio(op, c))))}×**`)]);
  return [
    `### op-overhead (${trials} alternating trials, each in a fresh process; medians; process CPU ns per op, frees included)`,
    '',
    describeMachine(),
    '',
    table(['op (chains of 1,000 on float32[4] / [2,2])', 'Python build', 'Node GC', 'Node tidy', 'Python +eval', 'Node GC +eval', 'Node tidy +eval',
      ...cols.map((c) => `Node/Py ${c[0]}`)], rows),
    '',
    `Bare addon call (isArray): ${fmt(med(ns.map((r) => r.bareCallNs)), 1)} ns. One bare full GC (taken off each Node window): ${fmt(med(ns.map((r) => r.bareGcMs)), 1)} ms.`,
    `A JS object tracked by a FinalizationRegistry, made and collected (the floor of any GC-tracked handle, no addon): ${fmt(med(ns.map((r) => r.trackedObjectNs)), 0)} ns.`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
