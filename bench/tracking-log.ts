/**
 * Metric logging throughput into a fresh SQLite store: our SqliteStore (one logBatch per training step,
 * as the trainer flushes) vs MLflow's Python client on the same kind of file (per-call `log_metric` and
 * per-step `log_batch`), measured in the same run. Like is compared with like: our per-call logMetric with
 * MLflow's per-call log_metric, our per-step logBatch with MLflow's per-step log_batch (a batch against
 * single calls would credit the batching, which MLflow's client offers too, to the store). Goals: ≥ 100×
 * MLflow per call (logMetric vs log_metric), and our per-step cost ≤ 1 ms.
 * Run: node --import ./scripts/register-ts.mjs bench/tracking-log.ts [--trials N] [--steps N] [--ref-steps N] [--call-steps N]
 * MLflow is slow enough that its rows log fewer steps (--ref-steps, --call-steps); rows compare throughput.
 * (each trial of each contender runs in a fresh process; this file is also the Node child, with --child).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, fmt, median, pythonCase, root, runTrials, table, type Contender } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

const WIDTH = 5; // metrics per step (loss, lr, grad norm, throughput, accuracy)

interface Timing {
  steps: number;
  metrics: number;
  seconds: number;
  /** Process CPU (user + system) over the same loop: what load from other processes does not inflate. */
  cpuSeconds: number;
}

interface OursResult {
  perStepBatch: Timing & { p50StepMs: number; p99StepMs: number };
  perCall: Timing;
  /** The disk's floor: one bare 5-row INSERT transaction in WAL mode, by `synchronous` setting, ms. */
  floorMs: { FULL: number; NORMAL: number };
  /** MLflow's schema floor: 5 metric rows + 5 latest_metrics upserts, prepared, one commit, no checks, ms. */
  schemaFloorMs: number;
}

/** What one committed 5-row transaction costs on this disk with nothing else around it. */
async function commitFloorMs(dir: string, synchronous: 'FULL' | 'NORMAL', steps: number): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(dir, `floor-${synchronous}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE m (key TEXT, value REAL, step INTEGER)');
  const insert = db.prepare('INSERT INTO m VALUES (?, ?, ?)');
  const commit = db.transaction((step: number) => {
    for (let k = 0; k < WIDTH; k++) insert.run(`m${k}`, step, step);
  });
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) commit.immediate(step);
  const ms = (performance.now() - t0) / steps;
  db.close();
  return ms;
}

/**
 * What MLflow's file format alone costs per step: the rows every client must write (metrics has 4 B-trees,
 * latest_metrics 3, plus the foreign-key lookups), with no validation, run check or ordering rule.
 */
async function schemaFloorMs(dir: string, steps: number): Promise<number> {
  const { SqliteStore } = await import('../src/tracking/index.js');
  const store = new SqliteStore(`sqlite:///${join(dir, 'floor-schema.db')}`);
  const runId = (await store.createRun('0')).info.runId;
  const db = store.database;
  const insert = db.prepare('INSERT INTO metrics ("key", value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)');
  const latest = db.prepare(
    `INSERT INTO latest_metrics ("key", value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)
     ON CONFLICT ("key", run_uuid) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, step = excluded.step`,
  );
  const commit = db.transaction((step: number, timestamp: number) => {
    for (let k = 0; k < WIDTH; k++) {
      insert.run(`m${k}`, step * 0.001 + k, timestamp, runId, step);
      latest.run(`m${k}`, step * 0.001 + k, timestamp, step, runId);
    }
  });
  const t0 = performance.now();
  for (let step = 0; step < steps; step++) commit.immediate(step, Date.now());
  const ms = (performance.now() - t0) / steps;
  await store.close();
  return ms;
}

const cpuSecondsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

interface MlflowResult {
  mlflow: string;
  perCall: Timing;
  perStepBatch: Timing;
}

/** The Node child: logs into a fresh store and prints one JSON line. */
async function child(steps: number, callSteps: number): Promise<void> {
  const { SqliteStore } = await import('../src/tracking/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-bench-tracking-'));
  try {
    const fresh = async (name: string) => {
      const store = new SqliteStore(`sqlite:///${join(dir, `${name}.db`)}`);
      const runId = (await store.createRun('0')).info.runId;
      return { store, runId };
    };

    const batch = await fresh('batch');
    const stepMs: number[] = [];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let step = 0; step < steps; step++) {
      const s0 = performance.now();
      const timestamp = Date.now();
      const metrics = Array.from({ length: WIDTH }, (_, k) => ({ key: `m${k}`, value: step * 0.001 + k, step, timestamp }));
      await batch.store.logBatch(batch.runId, { metrics });
      stepMs.push(performance.now() - s0);
    }
    const batchSeconds = (performance.now() - t0) / 1000;
    const batchCpuSeconds = cpuSecondsSince(c0);
    await batch.store.close();

    const calls = await fresh('call');
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    for (let step = 0; step < callSteps; step++) {
      const timestamp = Date.now();
      for (let k = 0; k < WIDTH; k++) await calls.store.logMetric(calls.runId, `m${k}`, step * 0.001 + k, { step, timestamp });
    }
    const callSeconds = (performance.now() - t1) / 1000;
    const callCpuSeconds = cpuSecondsSince(c1);
    await calls.store.close();

    stepMs.sort((a, b) => a - b);
    const floorSteps = Math.min(steps, 500);
    const result: OursResult = {
      floorMs: { FULL: await commitFloorMs(dir, 'FULL', floorSteps), NORMAL: await commitFloorMs(dir, 'NORMAL', floorSteps) },
      schemaFloorMs: await schemaFloorMs(dir, steps),
      perStepBatch: {
        steps,
        metrics: steps * WIDTH,
        seconds: batchSeconds,
        cpuSeconds: batchCpuSeconds,
        p50StepMs: stepMs[Math.floor(steps * 0.5)],
        p99StepMs: stepMs[Math.min(steps - 1, Math.floor(steps * 0.99))],
      },
      perCall: { steps: callSteps, metrics: callSteps * WIDTH, seconds: callSeconds, cpuSeconds: callCpuSeconds },
    };
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perSecond = (t: Timing) => t.metrics / t.seconds;
const stepMsOf = (t: Timing) => (t.seconds * 1000) / t.steps;
const cpuStepMsOf = (t: Timing) => (t.cpuSeconds * 1000) / t.steps;

export function run(
  trials = argValue('trials', 3),
  steps = argValue('steps', 2000),
  refSteps = argValue('ref-steps', 500),
  callSteps = argValue('call-steps', 200),
): string {
  const self = fileURLToPath(import.meta.url);
  const ours: Contender = {
    name: 'mlx-train',
    command: process.execPath,
    args: ['--import', join(root, 'scripts', 'register-ts.mjs'), self, '--child', String(steps), String(callSteps)],
  };
  const work = mkdtempSync(join(tmpdir(), 'mlxt-bench-mlflow-'));
  try {
    // MLflow per-call logging is slow; it logs fewer steps and is compared by throughput (metrics/s).
    const reference = pythonCase('mlflow', 'tracking_log.py', [work, String(refSteps), String(callSteps), String(WIDTH)], { MLFLOW_TRACKING_URI: undefined });
    const results = runTrials<OursResult | MlflowResult>([ours, reference], trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
    const mine = results.get('mlx-train') as OursResult[];
    const ref = results.get('mlflow') as MlflowResult[];
    const oursBatch = median(mine.map((r) => perSecond(r.perStepBatch)));
    const oursCall = median(mine.map((r) => perSecond(r.perCall)));
    const oursCpuStep = median(mine.map((r) => cpuStepMsOf(r.perStepBatch)));
    const oursCallCpuStep = median(mine.map((r) => cpuStepMsOf(r.perCall)));
    const refCallCpuStep = median(ref.map((r) => cpuStepMsOf(r.perCall)));
    const refBatchCpuStep = median(ref.map((r) => cpuStepMsOf(r.perStepBatch)));
    const refCall = median(ref.map((r) => perSecond(r.perCall)));
    const refBatch = median(ref.map((r) => perSecond(r.perStepBatch)));
    const oursStep = median(mine.map((r) => stepMsOf(r.perStepBatch)));
    const refStep = median(ref.map((r) => stepMsOf(r.perStepBatch)));
    const p99 = median(mine.map((r) => r.perStepBatch.p99StepMs));
    const floorFull = median(mine.map((r) => r.floorMs.FULL));
    const floorNormal = median(mine.map((r) => r.floorMs.NORMAL));
    const floorSchema = median(mine.map((r) => r.schemaFloorMs));
    const rows = [
      ['mlx-train SqliteStore, logMetric per call', fmt(oursCall, 0), fmt((1000 * WIDTH) / oursCall, 3), fmt(oursCallCpuStep, 3), `${fmt(oursCall / refCall, 1)}× MLflow log_metric`],
      [`MLflow ${ref[0].mlflow} log_metric per call`, fmt(refCall, 0), fmt((1000 * WIDTH) / refCall, 3), fmt(refCallCpuStep, 3), '1×'],
      ['mlx-train SqliteStore, logBatch per step', fmt(oursBatch, 0), fmt(oursStep, 3), fmt(oursCpuStep, 3), `${fmt(oursBatch / refBatch, 1)}× MLflow log_batch`],
      [`MLflow ${ref[0].mlflow} log_batch per step`, fmt(refBatch, 0), fmt(refStep, 3), fmt(refBatchCpuStep, 3), '1×'],
      ["floor: MLflow's rows only (5 metrics + 5 latest_metrics upserts, prepared, one commit)", fmt((1000 * WIDTH) / floorSchema, 0), fmt(floorSchema, 3), '', ''],
      ['floor: bare 5-row commit, WAL + synchronous=FULL', fmt((1000 * WIDTH) / floorFull, 0), fmt(floorFull, 3), '', ''],
      ['floor: bare 5-row commit, WAL + synchronous=NORMAL', fmt((1000 * WIDTH) / floorNormal, 0), fmt(floorNormal, 3), '', ''],
    ];
    const perCallRatio = oursCall / refCall;
    const batchRatio = oursBatch / refBatch;
    const goals = [
      `- Per call vs per call (logMetric vs log_metric): ${fmt(perCallRatio, 0)}× the throughput; goal ≥ 100× (${perCallRatio >= 100 ? 'met' : 'NOT met'})`,
      `- Batch vs batch (logBatch vs log_batch, one call per step): ${fmt(batchRatio, 1)}× the throughput`,
      `- Goal per-step cost ≤ 1 ms: mean ${fmt(oursStep, 3)} ms, p99 ${fmt(p99, 3)} ms (${oursStep <= 1 ? 'met' : 'NOT met'})`,
      `- Process CPU per step: logMetric ${fmt(oursCallCpuStep, 3)} ms vs log_metric ${fmt(refCallCpuStep, 3)} ms (${fmt(refCallCpuStep / oursCallCpuStep, 0)}×); logBatch ${fmt(oursCpuStep, 3)} ms vs log_batch ${fmt(refBatchCpuStep, 3)} ms (${fmt(refBatchCpuStep / oursCpuStep, 0)}×)`,
    ];
    return [
      `### tracking-log (${trials} trials, each contender in a fresh process; ${WIDTH} metrics per step; mlx-train logBatch ${steps} steps, MLflow log_batch ${refSteps} steps, per-call rows ${callSteps} steps; medians)`,
      '',
      describeMachine(),
      '',
      table(["writer (fresh SQLite file, each client's defaults)", 'metrics/s', 'ms per step', 'CPU ms per step', 'vs the same kind of MLflow call'], rows),
      '',
      ...goals,
    ].join('\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const i = process.argv.indexOf('--child');
  if (i >= 0) await child(Number(process.argv[i + 1]), Number(process.argv[i + 2]));
  else console.log(run());
}
