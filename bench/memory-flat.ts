/**
 * Memory over a long loop of temporaries (each step makes ~1 MB of 256 KB intermediates, never kept):
 *   no-dispose       nothing freed by hand; the loop awaits now and then, as training loops do. GC
 *                    finalizers free the arrays, paced by the external-memory accounting in native/wrap.cc.
 *   no-dispose-sync  the same, but never yielding to the event loop: GC finalizers run from the loop,
 *                    so memory grows until the loop ends. Use tidy/using/dispose in such loops.
 *   tidy             each step inside mx.tidy(): freed eagerly when the step returns.
 *   using            every intermediate bound with `using`: freed at the end of the step's block.
 * Run: npm run bench -- memory-flat [--steps N]
 */
import { argValue, fmt, nodeCase, runOnce, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Result { mode: string; steps: number; seconds: number; samples: { step: number; rssMb: number; activeMb: number }[] }

export function run(steps = argValue('steps', 5000)): string {
  const modes = ['no-dispose', 'tidy', 'using', 'no-dispose-sync'];
  // no-dispose-sync grows by ~1 MB a step; its child stops at 3 GB RSS.
  const results = modes.map((m) => runOnce<Result>(nodeCase(m, 'memory-flat.ts', [m, String(m === 'no-dispose-sync' ? Math.min(steps, 2000) : steps)])));
  const blocks = results.map((r) => {
    const rows = r.samples.map((s) => [s.step, fmt(s.rssMb, 0), fmt(s.activeMb, 1)]);
    return [`**${r.mode}** (${r.steps} steps, ${fmt(r.seconds, 1)} s)`, '', table(['step', 'RSS MB', 'MLX active MB'], rows)].join('\n');
  });
  return [`### memory-flat (each mode in a fresh process)`, '', describeMachine(), '', ...blocks.flatMap((b) => [b, ''])].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
