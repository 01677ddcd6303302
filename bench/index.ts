/**
 * npm run bench [-- NAME... [--trials N] [--steps N] [--record]]: runs the named benchmarks (all by
 * default), each in its own process with the remaining flags, and prints Markdown; --record also
 * appends each output to bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './lib/harness.js';

const BENCHMARKS: Record<string, string> = {
  'op-overhead': 'op-overhead.ts',
  matmul: 'matmul.ts',
  'memory-flat': 'memory-flat.ts',
  'train-step': 'train-step.ts',
  'data-pipeline': 'data-pipeline.ts',
  'tracking-log': 'tracking-log.ts',
  'trainer-quick': 'trainer-quick.ts',
  'trainer-fit': 'trainer-fit.ts',
  'trainer-rss': 'trainer-rss.ts',
  distributed: 'distributed.ts',
  'cli-startup': 'cli-startup.ts',
  'finetune-lora': 'finetune-lora.ts',
  'quantized-compute': 'quantized-compute.ts',
  'finetune-hf': 'finetune-hf.ts',
  'blas-doctor': 'blas-doctor.ts',
  'ui-first-paint': 'ui-first-paint.ts',
  'optimizer-update': 'optimizer-update.ts',
  'fused-kernels': 'fused-kernels.ts',
  serve: 'serve.ts',
  'augment-templates': 'augment-templates.ts',
  distill: 'distill.ts',
  'attention-core': 'attention-core.ts',
};

const args = process.argv.slice(2);
// A bare word is a benchmark name unless it is the value of the flag before it (--trials 3, --batch 16).
const named = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && !['--record'].includes(args[i - 1])));
const flags = args.filter((a) => !named.includes(a) && a !== '--record');
const unknown = named.filter((n) => !(n in BENCHMARKS));
if (unknown.length) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const name of named.length ? named : Object.keys(BENCHMARKS)) {
  console.error(`bench: running ${name}…`);
  const r = spawnSync(process.execPath, ['--import', './scripts/register-ts.mjs', join('bench', BENCHMARKS[name]), ...flags],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    console.error(`bench: ${name} failed (exit ${r.status})`);
    failed++;
    continue;
  }
  console.log(r.stdout);
  if (args.includes('--record')) appendFileSync(join(root, 'bench', 'RESULTS.md'), `\n${r.stdout}\n`);
}
process.exitCode = failed ? 1 : 0;
