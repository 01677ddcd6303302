/**
 * The `quick` preset end to end on the embedded Titanic data: wall time of fit() (data prep, WordPiece
 * training, model build, every epoch, evaluation, checkpoints, tracking) and the validation accuracy.
 * Goal: ≤ 3 minutes on a 2-core CPU with validation accuracy ≥ 0.78.
 * Run: node --import ./scripts/register-ts.mjs bench/trainer-quick.ts [--set key=value ...] [--no-compile]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trainer } from '../src/index.js';

const sets: string[] = [];
process.argv.slice(2).forEach((a, i, all) => {
  if (a === '--set') sets.push(all[i + 1]);
});
const dir = mkdtempSync(join(tmpdir(), 'mlx-train-quick-'));
const started = performance.now();
const trainer = new Trainer({
  preset: 'quick',
  set: [`outputDir=${dir}/out`, `tracking.trackingUri=sqlite:///${dir}/mlflow.db`, `tracking.artifactLocation=${dir}/artifacts`, `data.cacheDir=${dir}/cache`, ...sets],
  log: (m) => process.stderr.write(`${m}\n`),
  callbacks: [
    {
      onStepEnd: (s) => {
        if (s.globalStep % 10 === 0) process.stderr.write(`step ${s.globalStep}/${s.totalSteps} loss ${s.lastStep?.loss.toFixed(4)} ${s.lastStep?.samplesPerSecond.toFixed(0)} samples/s\n`);
      },
      onEvaluate: (s, _c, m) => {
        process.stderr.write(`eval @${s.globalStep}: loss ${m.loss.toFixed(4)} accuracy ${m.accuracy.toFixed(4)} f1 ${m.f1.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
      },
    },
  ],
});
const result = await trainer.fit();
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds: Number(seconds.toFixed(1)), valAccuracy: result.metrics?.accuracy, valLoss: result.metrics?.loss, steps: result.state.globalStep, load: loadavg()[0], sets }));
rmSync(dir, { recursive: true, force: true });
