import { describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

describe('bench and launch', () => {
  it('bench runs a named benchmark and prints its ratio table', () => {
    const r = cli(['bench', 'cli-startup', '--trials', '2'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| mlx-train --help \| \d+ \| \d+ \| [\d.]+× \|/);
  }, 120_000);

  it('launch starts N ranks with the environment MLX expects', () => {
    const r = cli(['launch', '-n', '2', '--raw', '--', 'sh', '-c', 'echo "rank=$MLX_RANK hostfile=${MLX_HOSTFILE:+set}"'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[rank 0\] rank=0 hostfile=set/);
    expect(r.stdout).toMatch(/\[rank 1\] rank=1 hostfile=set/);
  });

  const bad: [string, string[], number, RegExp][] = [
    ['launch with a bad rank count', ['launch', '-n', 'zero', '--raw', '--', 'true'], 2, /-n|--np/],
    ['launch with an unsupported backend', ['launch', '-n', '2', '--backend', 'nccl', '--', 'train'], 2, /backend/],
    ['launch a failing rank', ['launch', '-n', '2', '--raw', '--', 'sh', '-c', 'exit 3'], 3, /rank/],
    ['migrate a missing path', ['migrate', '/nonexistent/mlruns', '--into', '/tmp/mlxt-none/mlflow.db', '--dry-run'], 1, /nonexistent/],
    ['doctor with a bad flag', ['doctor', '--fast'], 2, /unknown option '--fast'/],
    ['experiments with a stray argument', ['experiments', 'extra'], 2, /too many arguments|unknown/],
  ];
  for (const [name, args, code, pattern] of bad) {
    it(`${name} → exit ${code}, one clear line`, () => {
      const r = cli(args, { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr + r.stdout).toMatch(pattern); // migrate reports per source on stdout
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
