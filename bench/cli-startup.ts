/**
 * `mlx-train --help` start-up time: the built CLI (dist/cli/main.js) against a bare `node -e 0` in the
 * same run, alternating, each a fresh process. Goal: --help answers in ≤ 0.3 s (the CLI loads neither
 * the addon nor the trainer until a subcommand needs them).
 * Run: node --import ./scripts/register-ts.mjs bench/cli-startup.ts [--trials N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { root } from './lib/harness.js';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function wallMs(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`cli-startup: node ${args.join(' ')} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function run(trials = argValue('trials', 15)): string {
  const cli = join(root, 'dist', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error('cli-startup: build first (npm run build)');
  const contenders: Record<string, string[]> = {
    'node -e 0 (floor)': ['-e', '0'],
    'mlx-train --help': [cli, '--help'],
    'mlx-train --version': [cli, '--version'],
    'mlx-train train --help': [cli, 'train', '--help'],
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let t = 0; t < trials; t++) for (const [name, args] of Object.entries(contenders)) times[name].push(wallMs(args));
  const floor = median(times['node -e 0 (floor)']);
  const rows = Object.entries(times).map(([name, xs]) => `| ${name} | ${median(xs).toFixed(0)} | ${Math.max(...xs).toFixed(0)} | ${(median(xs) / floor).toFixed(2)}× |`);
  const help = median(times['mlx-train --help']);
  return [
    `### cli-startup (${trials} trials, fresh process each, alternating; wall ms)`,
    '',
    `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; Node ${process.version}`,
    '',
    '| command | median ms | max ms | vs bare node |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `- Goal --help ≤ 300 ms: median ${help.toFixed(0)} ms (${help <= 300 ? 'met' : 'NOT met'})`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
