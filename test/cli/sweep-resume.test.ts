// A sweep killed with SIGKILL mid-trial resumes from the store: finished trials are not run again, the
// cut-off trial restarts with the same params (its attempt marked interrupted, KILLED), and the sweep ends.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/tracking/index.js';
import { cli, cliPath } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-sweep-kill-'));
const db = join(dir, 'mlflow.db');
const file = join(dir, 'sweep.yaml');
writeFileSync(file, `extends: quick
outputDir: ${join(dir, 'out')}
tracking: { trackingUri: 'sqlite:///${db}', artifactLocation: ${join(dir, 'artifacts')}, experimentName: killed }
model: { maxLength: 16 }
training: { epochs: 2, logEverySteps: 50 }
sweep:
  method: random
  trials: 4
  seed: 11
  pruner: { type: none }
  parameters:
    training.learningRate: { distribution: log_uniform, min: 1.0e-4, max: 1.0e-3 }
    model.pooling: { values: [mean, cls] }
`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function trialRuns(store: TrackingStore, parent: string) {
  const exp = (await store.getExperimentByName('killed'))!;
  const { runs } = await store.searchRuns([exp.experimentId], { filterString: `tags.\`mlflow.parentRunId\` = '${parent}'`, maxResults: 100 });
  return runs;
}

describe('sweep killed with SIGKILL, then --resume', () => {
  it('keeps the finished trials, restarts the cut-off one with its params, and finishes', async () => {
    const child = spawn(process.execPath, [cliPath, 'sweep', '-c', file], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Kill once trial 0 is complete and trial 1 has logged its first epoch.
    const deadline = Date.now() + 300_000;
    let sweepId = '';
    for (;;) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the sweep did not reach trial 1 (exit ${child.exitCode}):\n${stderr.slice(-3000)}`);
      sweepId ||= /sweep: run ([0-9a-f]{32})/.exec(stderr)?.[1] ?? '';
      if (sweepId && /trial 0: complete/.test(stderr) && /\[trial 1\] .*epoch 1/.test(stderr)) break;
      if (sweepId && /trial 0: complete/.test(stderr)) {
        const store = new TrackingStore(`sqlite:///${db}`);
        const runs = await trialRuns(store, sweepId);
        const t1 = runs.find((r) => r.data.tags['mlx_train.sweep.trial'] === '1');
        const epochs = t1 ? (await store.getMetricHistory(t1.info.runId, 'sweep_objective')).length : 0;
        await store.close();
        if (epochs >= 1) break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const store = new TrackingStore(`sqlite:///${db}`);
    const before = await trialRuns(store, sweepId);
    const t0 = before.find((r) => r.data.tags['mlx_train.sweep.trial'] === '0')!;
    const cut = before.find((r) => r.data.tags['mlx_train.sweep.trial'] === '1')!;
    expect(t0.data.tags['mlx_train.sweep.state']).toBe('complete');
    expect(cut.info.status).toBe('RUNNING');
    expect(cut.data.tags['mlx_train.sweep.state']).toBeUndefined();
    // The worker went with its sweep (its IPC channel closed): no orphan keeps training.
    const workerPid = Number(cut.data.tags['mlx_train.pid']);
    for (let i = 0; i < 50 && alive(workerPid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(workerPid)).toBe(false);
    expect((await store.getRun(sweepId)).info.status).toBe('RUNNING');
    await store.close();

    const r = cli(['sweep', '-c', file, '--resume', sweepId, '--json'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toMatch(/resuming .*: 1 trial\(s\) finished, 1 to restart/);
    const out = JSON.parse(r.stdout) as { runId: string; trials: { trial: number; state: string; runId: string; params: Record<string, unknown> }[] };
    expect(out.runId).toBe(sweepId);
    expect(out.trials.map((t) => t.trial).sort()).toEqual([0, 1, 2, 3]);
    expect(out.trials.every((t) => t.state === 'complete')).toBe(true);
    // Trial 0 was not run again: the same run, and the only one with its index.
    expect(out.trials.find((t) => t.trial === 0)!.runId).toBe(t0.info.runId);
    const after = new TrackingStore(`sqlite:///${db}`);
    const runs = await trialRuns(after, sweepId);
    expect(runs.filter((x) => x.data.tags['mlx_train.sweep.trial'] === '0')).toHaveLength(1);
    // Trial 1 restarted as a new attempt with the same params; the cut-off attempt is KILLED, interrupted.
    const restarted = out.trials.find((t) => t.trial === 1)!;
    expect(restarted.runId).not.toBe(cut.info.runId);
    expect(restarted.params).toEqual(JSON.parse(cut.data.tags['mlx_train.sweep.params']));
    const old = await after.getRun(cut.info.runId);
    expect(old.info.status).toBe('KILLED');
    expect(old.data.tags['mlx_train.sweep.state']).toBe('interrupted');
    expect(runs).toHaveLength(5);
    expect((await after.getRun(sweepId)).info.status).toBe('FINISHED');
    await after.close();

    // The same seed draws the same trials: a fresh sweep with it samples trials 2 and 3 as the resumed one did.
    const { suggestTrial } = await import('../../src/sweep/samplers.js');
    const { dimensionsOf } = await import('../../src/sweep/space.js');
    const { resolveConfig } = await import('../../src/config/load.js');
    const spec = resolveConfig({ file, env: {} }).config.sweep!;
    for (const t of out.trials) expect(suggestTrial(spec, dimensionsOf(spec), t.trial, 4, [], 'max')).toEqual(t.params);
  }, 900_000);
});
