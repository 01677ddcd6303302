/**
 * `mlx-train launch -n 2 -- train …` end to end on loopback: a tiny BERT trained one epoch on 96 rows of
 * the embedded Titanic data by two ranks. Only rank 0 tracks (one run in the store) and checkpoints;
 * each rank trains on its own half of every batch; the weights equal a 1-process run with the whole
 * batch (SGD, fp32 tolerance). And when a rank is killed mid-training, the other exits non-zero with a
 * clear error within the distributed timeout instead of hanging.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { TITANIC_TRAIN_PATH } from '../../src/data/dataset.js';
import { freePorts } from '../../src/distributed/launcher.js';
import { TrackingStore } from '../../src/tracking/index.js';
import { loadCheckpoint } from '../../src/trainer/run-checkpoint.js';
import { nodeTs, root } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-dist-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lines = readFileSync(TITANIC_TRAIN_PATH, 'utf8').split('\n');
const trainPath = join(dir, 'titanic-96.csv');
writeFileSync(trainPath, `${lines.slice(0, 97).join('\n')}\n`);
const db = join(dir, 'mlruns', 'mlflow.db');
// 96 rows → 72 training rows → 9 batches of 8, split 4 + 4: equal shards, so the mean of the rank means is the batch mean.
const configPath = join(dir, 'run.yaml');
writeFileSync(configPath, `model: { architecture: bert, size: tiny, maxLength: 32, pooling: mean, dropout: 0 }
data: { trainPath: ${trainPath}, validationSplit: 0.25, vocabSize: 300, cacheDir: ${join(dir, 'cache')} }
training: { epochs: EPOCHS, batchSize: 8, maxBatchSize: 8, dynamicBatching: false, optimizer: sgd, learningRate: 0.05, weightDecay: 0, warmupRatio: 0, logEverySteps: 1, seed: 3 }
tracking: { experimentName: dist_e2e, trackingUri: 'sqlite:///${db}', artifactLocation: ${join(dir, 'artifacts')} }
`.replace('EPOCHS', '1'));
const slowConfig = join(dir, 'slow.yaml');
writeFileSync(slowConfig, readFileSync(configPath, 'utf8').replace('epochs: 1', 'epochs: 200'));

const cliMain = join(root, 'src', 'cli', 'main.ts');
const env = (): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete e.MLFLOW_TRACKING_URI;
  delete e.MLX_RANK;
  delete e.MLX_HOSTFILE;
  return e;
};

/** The JSON a rank printed on stdout (lines prefixed `[rank r] ` by the launcher). */
function rankJson(stdout: string, rank: number): Record<string, any> {
  const prefix = `[rank ${rank}] `;
  const text = stdout.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)).join('\n');
  return JSON.parse(text.slice(text.indexOf('{')));
}

const maxAbsDiff = (a: mx.Array, b: mx.Array) => mx.max(mx.abs(mx.subtract(a, b))).item() as number;

describe('mlx-train launch -n 2 -- train (loopback)', () => {
  it('trains on two ranks: one tracked run and checkpoints from rank 0, a shard per rank, the weights of one process with the whole batch', async () => {
    const t0 = Date.now();
    const [prog, ...pre] = nodeTs('launch-cli.ts');
    const launchArgs = [...pre, JSON.stringify({ np: '2', timeout: '60' }), '--', 'train', '-c', configPath, '--json', '--output-dir', join(dir, 'out-2')];
    const single = ['--import', join(root, 'scripts', 'register-ts.mjs'), cliMain, 'train', '-c', configPath, '--json', '--no-track', '--output-dir', join(dir, 'out-1')];
    // The two jobs run side by side (the box has two cores; each of the three processes is mostly waiting).
    const run = (command: string, args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(command, args, { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    const [two, one] = await Promise.all([run(prog, launchArgs), run(process.execPath, single)]);
    expect(two.code, two.stderr).toBe(0);
    expect(one.code, one.stderr).toBe(0);

    const r0 = rankJson(two.stdout, 0);
    const r1 = rankJson(two.stdout, 1);
    expect(r0.status).toBe('FINISHED');
    expect(r1.status).toBe('FINISHED');
    expect(r0.globalStep).toBe(9);
    expect(r1.globalStep).toBe(9);
    // Rank 0 owns the run and the checkpoint; rank 1 reports neither.
    expect(r0.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(r1.runId).toBeNull();
    expect(r0.checkpoint).toMatch(/checkpoint-00000009\.safetensors$/);
    expect(r1.checkpoint || null).toBeNull();
    expect(readdirSync(join(dir, 'out-2', 'checkpoints')).filter((f) => f.endsWith('.safetensors'))).toEqual(['checkpoint-00000009.safetensors']);

    // Each rank announced its own shard: 36 of the 72 training rows, different rows.
    const shardLine = (r: number) => new RegExp(`\\[rank ${r}\\] rank ${r} of 2 \\(pid \\d+\\): epoch 1 has 9 batches, (\\d+) rows in this rank's shard, first rows ([\\d, ]+)`).exec(two.stderr);
    const s0 = shardLine(0);
    const s1 = shardLine(1);
    expect(s0, two.stderr).not.toBeNull();
    expect(s1, two.stderr).not.toBeNull();
    expect([Number(s0![1]), Number(s1![1])]).toEqual([36, 36]);
    expect(s0![2]).not.toBe(s1![2]);

    const store = new TrackingStore(`sqlite:///${db}`);
    try {
      const exp = await store.getExperimentByName('dist_e2e');
      const runs = await store.searchRuns([exp!.experimentId]);
      expect(runs.runs.map((r) => r.info.runId)).toEqual([r0.runId]);
      const tracked = await store.getRun(r0.runId);
      expect(tracked.info.status).toBe('FINISHED');
      expect(tracked.data.metrics.val_accuracy).toBeGreaterThan(0);
      const history = await store.getMetricHistory(r0.runId, 'train_loss');
      expect(history.length).toBeGreaterThanOrEqual(9);
    } finally {
      await store.close();
    }

    // Same weights as one process training on the whole batches (gradients averaged across the ranks).
    const a = loadCheckpoint(r0.checkpoint);
    const b = loadCheckpoint(rankJson(one.stdout.split('\n').map((l) => `[rank 0] ${l}`).join('\n'), 0).checkpoint);
    const wb = new Map(b.model);
    expect(a.model.length).toBe(b.model.length);
    let worst = 0;
    for (const [k, v] of a.model) worst = Math.max(worst, maxAbsDiff(v, wb.get(k)!));
    expect(worst).toBeLessThan(1e-4);
    expect(Date.now() - t0).toBeLessThan(90_000);
  }, 180_000);

  it.each([
    ['killed (SIGKILL)', 'SIGKILL', /\[ring\] connection to a peer was lost/],
    ['stalled (SIGSTOP)', 'SIGSTOP', /training step \(waiting on the gradient all-reduce\) did not finish within 10000 ms: a peer process has exited or is unreachable/],
  ] as const)('a rank %s mid-training makes the other exit non-zero with a clear error, not hang', async (_name, signal, message) => {
    // Ranks started by hand (no launcher to stop the survivor): the survivor must notice by itself.
    const ports = await freePorts(2);
    const hostfile = join(dir, 'ring.json');
    writeFileSync(hostfile, JSON.stringify(ports.map((p) => [`127.0.0.1:${p}`])));
    const timeoutMs = 10_000;
    const start = (r: number) => spawn(process.execPath, ['--import', join(root, 'scripts', 'register-ts.mjs'), cliMain, 'train', '-c', slowConfig, '--no-track', '--output-dir', join(dir, `out-kill-${r}`)], {
      cwd: dir, env: { ...env(), MLX_RANK: String(r), MLX_HOSTFILE: hostfile, MLX_TRAIN_DIST_TIMEOUT_MS: String(timeoutMs) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ranks = [start(0), start(1)];
    const logs = ['', ''];
    ranks.forEach((c, r) => {
      c.stdout.on('data', (d) => (logs[r] += d));
      c.stderr.on('data', (d) => (logs[r] += d));
    });
    const exits = ranks.map((c) => new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => c.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }))));
    try {
      // Kill rank 1 once both train (a few optimizer steps logged by rank 0).
      const deadline = Date.now() + 120_000;
      while (!/step\s*\d+|train_loss|loss/.test(logs[0]) || !/rank 1 of 2/.test(logs[1])) {
        if (Date.now() > deadline) throw new Error(`the ranks did not start training:\n${logs.join('\n---\n')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await new Promise((r) => setTimeout(r, 1000));
      const killedAt = Date.now();
      // (rank 1 started: it logged its shard line)
      ranks[1].kill(signal);
      const survivor = await Promise.race([exits[0], new Promise<null>((r) => setTimeout(() => r(null), timeoutMs + 30_000))]);
      expect(survivor, `rank 0 still running ${timeoutMs + 30_000} ms after rank 1 was killed:\n${logs[0]}`).not.toBeNull();
      expect(survivor!.code).not.toBe(0);
      expect(survivor!.at - killedAt).toBeLessThan(timeoutMs + 30_000);
      // A dead peer closes its socket (seen at once); a stalled one trips the step's deadline (exit 124).
      if (signal === 'SIGSTOP') expect(survivor!.code).toBe(124);
      expect(logs[0]).toMatch(message);
    } finally {
      for (const c of ranks) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  }, 240_000);
});

