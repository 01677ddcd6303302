/**
 * npm run bench [-- NAME... [--trials N] [--steps N] [--record]]: runs the named benchmarks (all by
 * default) and prints Markdown; --record also appends it to bench/RESULTS.md.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/harness.js';

const BENCHMARKS: Record<string, () => Promise<{ run: () => string }>> = {
  'op-overhead': () => import('./op-overhead.js'),
  matmul: () => import('./matmul.js'),
  'memory-flat': () => import('./memory-flat.js'),
};

const args = process.argv.slice(2);
const named = args.filter((a, i) => !a.startsWith('--') && !(args[i - 1] ?? '').match(/^--(trials|steps)$/));
const unknown = named.filter((n) => !(n in BENCHMARKS));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
for (const name of named.length ? named : Object.keys(BENCHMARKS)) {
  console.error(`bench: running ${name}…`);
  const output = (await BENCHMARKS[name]()).run();
  console.log(`${output}\n`);
  if (args.includes('--record')) appendFileSync(join(root, 'bench', 'RESULTS.md'), `\n${output}\n`);
}
