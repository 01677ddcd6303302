/**
 * Distributed data parallel on this machine (loopback ring): the scaling efficiency of 2 ranks against
 * 1 at a fixed global batch, and all-reduce bandwidth for a few buffer sizes, with Python MLX's
 * all-reduce measured in the same run as the reference. Run: node --import ./scripts/register-ts.mjs
 * bench/distributed.ts [--record] (or through bench/index.ts once registered there).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, fmt, median, pythonPath, root, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

const nodeTs = (file: string) => [process.execPath, '--import', join(root, 'scripts', 'register-ts.mjs'), join(root, 'bench', file)];

function launched<T>(n: number, command: string[], env: Record<string, string> = {}): T {
  const r = spawnSync(nodeTs('distributed-launch.ts')[0], [...nodeTs('distributed-launch.ts').slice(1), String(n), ...command], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 600_000,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) throw new Error(`bench/distributed: ${n} rank(s) of ${command.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  return JSON.parse(line) as T;
}

type Train = { msPerStep: number; examplesPerS: number; globalBatch: number };
type AllReduce = { rows: { bytes: number; ms: number; mbPerS: number }[] };

export function run(): string {
  const machine = describeMachine();
  // Contenders alternate trial by trial so background load hits them alike; figures are medians over trials.
  const trials = argValue('trials', 3);
  const runs = { one: [] as Train[], two: [] as Train[], ours: [] as AllReduce[], ref: [] as AllReduce[] };
  for (let t = 0; t < trials; t++) {
    runs.one.push(launched<Train>(1, nodeTs('distributed-rank.ts'), { MODE: 'train' }));
    runs.two.push(launched<Train>(2, nodeTs('distributed-rank.ts'), { MODE: 'train' }));
    runs.ours.push(launched<AllReduce>(2, nodeTs('distributed-rank.ts'), { MODE: 'allreduce' }));
    runs.ref.push(launched<AllReduce>(2, [pythonPath(), join(root, 'bench', 'distributed-ref.py')]));
  }
  const train = (xs: Train[]): Train => ({ globalBatch: xs[0].globalBatch, msPerStep: median(xs.map((x) => x.msPerStep)), examplesPerS: median(xs.map((x) => x.examplesPerS)) });
  const reduce = (xs: AllReduce[]): AllReduce => ({
    rows: xs[0].rows.map((r, i) => {
      const ms = median(xs.map((x) => x.rows[i].ms));
      return { bytes: r.bytes, ms, mbPerS: r.bytes / 1e6 / (ms / 1000) };
    }),
  });
  const [one, two, ours, ref] = [train(runs.one), train(runs.two), reduce(runs.ours), reduce(runs.ref)];
  const speedup = one.msPerStep / two.msPerStep;
  const size = (b: number) => (b >= 1 << 20 ? `${b / (1 << 20)} MiB` : `${b / 1024} KiB`);
  return [
    '## Distributed',
    '',
    machine,
    '',
    `Data-parallel SGD, MLP 256→1024→16, global batch ${one.globalBatch}, gradients averaged with one flattened all-sum per step (median of 20 steps, median of ${trials} trials):`,
    '',
    table(
      ['ranks', 'ms / step', 'examples / s', 'speed-up', 'scaling efficiency'],
      [
        [1, fmt(one.msPerStep), fmt(one.examplesPerS, 0), '1.00×', '100%'],
        [2, fmt(two.msPerStep), fmt(two.examplesPerS, 0), `${fmt(speedup)}×`, `${fmt((speedup / 2) * 100, 0)}%`],
      ],
    ),
    '',
    `All-reduce (all-sum of float32, 2 ranks on loopback; median time per call, median of ${trials} trials), MB/s = buffer size / time:`,
    '',
    table(
      ['buffer', 'mlx-train ms', 'mlx-train MB/s', 'Python MLX ms', 'Python MLX MB/s', 'ratio (time, ours/Python)'],
      ours.rows.map((o, i) => [size(o.bytes), fmt(o.ms, 3), fmt(o.mbPerS, 0), fmt(ref.rows[i].ms, 3), fmt(ref.rows[i].mbPerS, 0), `${fmt(o.ms / ref.rows[i].ms)}×`]),
    ),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const output = run();
  console.log(output);
  if (process.argv.includes('--record')) appendFileSync(join(root, 'bench', 'RESULTS.md'), `\n${output}\n`);
}
