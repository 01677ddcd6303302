// Child of bench/distributed.ts: starts N ranks of a command through the launcher, passing their output
// through unprefixed. Args: N command... (N=1 runs the command alone, without the ring environment).
import { spawnSync } from 'node:child_process';
import { launch } from '../src/distributed/index.js';

const [n, ...command] = process.argv.slice(2);
if (Number(n) === 1) {
  const r = spawnSync(command[0], command.slice(1), { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const result = await launch({ n: Number(n), command, prefixOutput: false, collectiveTimeoutMs: 120_000 });
if (result.exitCode !== 0) process.stderr.write(`${result.error}\n`);
process.exit(result.exitCode);
