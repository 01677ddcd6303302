/**
 * Cost of building MLX graphs from Node vs Python MLX: a 1,000-op chain on a 4-element array, evaluated
 * at the end, plus one bare addon call. Goals: ≤ 1.2× Python MLX per op; a bare call ≤ 100 ns.
 * Run: npm run bench -- op-overhead [--trials N]
 */
import { argValue, fmt, median, nodeCase, pythonCase, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Result { arrayOpNs: number; arrayChainNs: number; scalarOpNs: number; scalarChainNs: number; bareCallNs?: number }

export function run(trials = argValue('trials', 5)): string {
  const contenders = [nodeCase('node', 'op-overhead.ts', ['1000', '30']), pythonCase('python-mlx', 'op_overhead.py', ['1000', '30'])];
  const results = runTrials<Result>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
  const node = results.get('node')!;
  const py = results.get('python-mlx')!;
  const m = (rs: Result[], k: keyof Result) => median(rs.map((r) => r[k] as number));
  const rows = ([
    ['array op (add(y, x)), build', 'arrayOpNs'],
    ['array op, build + eval', 'arrayChainNs'],
    ['scalar op (multiply(y, 0.999)), build', 'scalarOpNs'],
    ['scalar op, build + eval', 'scalarChainNs'],
  ] as const).map(([label, k]) => [label, fmt(m(node, k), 0), fmt(m(py, k), 0), `${fmt(m(node, k) / m(py, k))}×`]);
  rows.push(['bare addon call (isArray)', fmt(m(node, 'bareCallNs'), 1), '', '']);
  return [
    `### op-overhead (${trials} trials, each in a fresh process; medians of per-trial bests, process CPU ns per op)`,
    '',
    describeMachine(),
    '',
    table(['chain of 1,000 ops on float32[4]', 'Node ns/op', 'Python MLX ns/op', 'Node / Python'], rows),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
