// A training killed with SIGKILL leaves its run RUNNING: `runs` shows it as stale (without rewriting the
// store) and `train --resume` continues the same run instead of starting an unlinked one.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/tracking/index.js';
import { cli, cliPath } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-kill-'));

describe('runs: stale RUNNING runs', () => {
  it('marks a RUNNING run of this host whose pid is gone, and only that one, without writing the store', async () => {
    const db = join(dir, 'stale', 'mlflow.db');
    const store = new TrackingStore(`sqlite:///${db}`);
    const exp = await store.createExperiment('stale');
    const make = async (name: string, host: string, pid: string) =>
      (await store.createRun(exp, { runName: name, tags: { 'mlx_train.host': host, 'mlx_train.pid': pid } })).info.runId;
    const dead = await make('dead-here', hostname(), '999999999');
    await make('alive-here', hostname(), String(process.pid));
    await make('dead-elsewhere', `not-${hostname()}`, '999999999');
    const finished = await make('finished-dead', hostname(), '999999999');
    await store.setTerminated(finished, 'FINISHED');
    await store.close();

    const r = cli(['runs', '-e', 'stale', '--tracking-uri', `sqlite:///${db}`]);
    expect(r.code, r.stderr).toBe(0);
    const status = (name: string) => r.stdout.split('\n').find((l) => l.includes(name))!.split(/\s{2,}/)[2];
    expect(status('dead-here')).toBe('RUNNING (stale)');
    expect(status('alive-here')).toBe('RUNNING');
    expect(status('dead-elsewhere')).toBe('RUNNING');
    expect(status('finished-dead')).toBe('FINISHED');
    const shown = cli(['runs', 'show', dead, '--tracking-uri', `sqlite:///${db}`]);
    expect(shown.stdout).toMatch(/status\s+RUNNING \(stale\)/);

    const after = new TrackingStore(`sqlite:///${db}`);
    expect((await after.getRun(dead)).info.status).toBe('RUNNING');
    await after.close();
  });
});

describe('train killed with SIGKILL, then --resume', () => {
  it('continues the same MLflow run and finishes it', async () => {
    const db = join(dir, 'kill', 'mlflow.db');
    const out = join(dir, 'kill', 'outputs');
    const env = { ...process.env, NO_COLOR: '1', MLFLOW_TRACKING_URI: `sqlite:///${db}` };
    const args = ['train', '--preset', 'quick', '--set', 'training.epochs=2', '--set', 'model.maxLength=16', '--set', 'training.checkpointEverySteps=5', '--output-dir', out, '-e', 'killed', '--json'];
    const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: 'ignore' });
    const checkpoints = join(out, 'checkpoints');
    const deadline = Date.now() + 240_000;
    while (!(existsSync(checkpoints) && readdirSync(checkpoints).some((f) => /^checkpoint-\d+\.safetensors$/.test(f)))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no checkpoint appeared (exit ${child.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const store = new TrackingStore(`sqlite:///${db}`);
    const exp = (await store.getExperimentByName('killed'))!;
    const [killed] = (await store.searchRuns([exp.experimentId])).runs;
    expect(killed.info.status).toBe('RUNNING');
    const listed = cli(['runs', '-e', 'killed'], { env: { MLFLOW_TRACKING_URI: `sqlite:///${db}` } });
    expect(listed.stdout).toContain('RUNNING (stale)');

    const resumed = cli([...args, '--resume'], { env: { MLFLOW_TRACKING_URI: `sqlite:///${db}` }, timeoutMs: 480_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout).runId).toBe(killed.info.runId);
    expect(resumed.stderr).toContain(`tracking: resuming run ${killed.info.runId}`);
    const runs = (await store.searchRuns([exp.experimentId])).runs;
    expect(runs.map((r) => [r.info.runId, r.info.status])).toEqual([[killed.info.runId, 'FINISHED']]);
    await store.close();
  }, 600_000);
});
