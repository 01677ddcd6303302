/**
 * `mlx-train serve` under load, on loopback: requests/s and p50/p99 latency at 1, 8 and 32 concurrent
 * clients (each sends one Titanic row per request, JSON `dataframe_records`, keep-alive), with the
 * micro-batcher on (up to 32 rows per forward pass, 2 ms wait) against off (one request per pass), in
 * alternating rounds, each server in its own process (bench/cases/serve-server.ts). Then a bounded load
 * test: 32 clients for --load-seconds against the batching server, counting errors and sampling its RSS
 * and MLX active memory every second; drift = mean of the last quarter over the first quarter after a
 * 10% warm-up (goal: no error, |RSS drift| < 10%).
 * Run: node --import ./scripts/register-ts.mjs bench/serve.ts [--seconds 8] [--rounds 2] [--load-seconds 60]
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { readCsvFile, TITANIC_TRAIN_PATH } from '../src/data/index.js';
import { argValue, fmt, root, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface Sample { tMs: number; rssMb: number; activeMb: number; cacheMb: number }
interface ServerChild { url: string; samples: Sample[]; stop(): Promise<{ batches: number; requests: number; rows: number }> }

function startServer(maxBatchRows: number, maxWaitMs: number): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--import', join(root, 'scripts', 'register-ts.mjs'), join(root, 'bench', 'cases', 'serve-server.ts'), String(maxBatchRows), String(maxWaitMs), '1000'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const samples: Sample[] = [];
  let stats: { batches: number; requests: number; rows: number } | undefined;
  let buffered = '';
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`serve-server exited early (${code})`)));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (line.sample) samples.push(line.sample);
        if (line.stats) stats = line.stats;
        if (line.url) {
          child.removeAllListeners('exit');
          resolve({
            url: line.url,
            samples,
            stop: () => new Promise((done) => {
              child.once('exit', () => done(stats ?? { batches: 0, requests: 0, rows: 0 }));
              child.kill('SIGTERM');
            }),
          });
        }
      }
    });
  });
}

// One request body per Titanic row (label dropped), sent round-robin.
const titanic = readCsvFile(TITANIC_TRAIN_PATH);
const features = titanic.columns.filter((c) => c !== 'Survived');
const bodies = titanic.rows.map((r) => JSON.stringify({ dataframe_records: [Object.fromEntries(features.map((c) => [c, r[titanic.columns.indexOf(c)] || null]))] }));

interface Load { requests: number; errors: number; firstError?: string; latenciesMs: number[]; seconds: number }

function post(agent: Agent, url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** `clients` closed-loop clients for `seconds`; latencies of the requests that finish in time. */
async function drive(base: string, clients: number, seconds: number): Promise<Load> {
  const url = new URL('/invocations', base);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const out: Load = { requests: 0, errors: 0, latenciesMs: [], seconds };
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      const body = bodies[next++ % bodies.length];
      const t0 = performance.now();
      try {
        const status = await post(agent, url, body);
        if (status !== 200) throw new Error(`HTTP ${status}`);
        out.latenciesMs.push(performance.now() - t0);
        out.requests++;
      } catch (err) {
        out.errors++;
        out.firstError ??= (err as Error).message;
      }
    }
  }));
  agent.destroy();
  return out;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

export async function run(): Promise<string> {
  const seconds = argValue('seconds', 8);
  const rounds = argValue('rounds', 2);
  const loadSeconds = argValue('load-seconds', 60);
  const header = describeMachine();
  const contenders = [
    { name: 'batching on (≤ 32 rows, 2 ms)', maxBatch: 32, waitMs: 2 },
    { name: 'batching off (1 row)', maxBatch: 1, waitMs: 0 },
  ];
  const servers = await Promise.all(contenders.map((c) => startServer(c.maxBatch, c.waitMs)));
  const results = new Map<string, Load[]>();
  const stats: Record<string, { batches: number; requests: number; rows: number }> = {};
  try {
    for (const clients of [1, 8, 32]) {
      for (let r = 0; r < rounds; r++) {
        // Alternate which contender goes first, so drifting background load hits both alike.
        const order = r % 2 ? [1, 0] : [0, 1];
        for (const i of order) {
          await drive(servers[i].url, clients, 1); // warm-up, not counted
          const load = await drive(servers[i].url, clients, seconds);
          const key = `${clients}|${i}`;
          results.set(key, [...(results.get(key) ?? []), load]);
        }
      }
    }
  } finally {
    const stopped = await Promise.all(servers.map((s) => s.stop()));
    contenders.forEach((c, i) => (stats[c.name] = stopped[i]));
  }

  const rows: (string | number)[][] = [];
  for (const clients of [1, 8, 32]) {
    const rps: number[] = [];
    contenders.forEach((c, i) => {
      const loads = results.get(`${clients}|${i}`) ?? [];
      const lat = loads.flatMap((l) => l.latenciesMs);
      const reqs = loads.reduce((a, l) => a + l.requests, 0);
      const errors = loads.reduce((a, l) => a + l.errors, 0);
      const perSecond = reqs / loads.reduce((a, l) => a + l.seconds, 0);
      rps.push(perSecond);
      rows.push([clients, c.name, fmt(perSecond, 1), fmt(quantile(lat, 0.5), 1), fmt(quantile(lat, 0.99), 1), `${errors}${loads.find((l) => l.firstError)?.firstError ? ` (${loads.find((l) => l.firstError)!.firstError})` : ''}`]);
    });
    rows.push(['', '**on / off**', `**${fmt(rps[0] / rps[1], 2)}×**`, '', '', '']);
  }

  const lines = [
    `### mlx-train serve: requests/s and latency on loopback (quick preset's BERT-tiny, maxLength 64; one Titanic row per request; ${rounds} rounds × ${seconds} s per cell, alternating)`,
    '',
    header,
    '',
    table(['clients', 'server', 'requests/s', 'p50 ms', 'p99 ms', 'errors'], rows),
    '',
    `Forward passes: ${contenders.map((c) => `${c.name}: ${stats[c.name].batches} for ${stats[c.name].requests} requests`).join('; ')} (warm-ups included).`,
  ];

  if (loadSeconds > 0) {
    const server = await startServer(32, 2);
    let load: Load;
    let after: { batches: number; requests: number; rows: number };
    try {
      load = await drive(server.url, 32, loadSeconds);
    } finally {
      after = await server.stop();
    }
    const s = server.samples.filter((x) => x.tMs > 0);
    const t0 = s[0]?.tMs ?? 0;
    const span = (s[s.length - 1]?.tMs ?? 0) - t0;
    const warm = t0 + span * 0.1;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
    const quarter = (key: keyof Sample, late: boolean) => mean(s.filter((x) => (late ? x.tMs >= t0 + span * 0.775 : x.tMs > warm && x.tMs <= warm + span * 0.225)).map((x) => x[key]));
    const drift = (key: keyof Sample) => quarter(key, true) / quarter(key, false) - 1;
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`;
    const picks = Array.from({ length: Math.min(8, s.length) }, (_, i) => s[Math.max(0, Math.round(((i + 1) * s.length) / Math.min(8, s.length)) - 1)]);
    lines.push(
      '',
      `#### Load test: 32 clients for ${loadSeconds} s against the batching server`,
      '',
      `${load.requests} requests (${fmt(load.requests / loadSeconds, 1)}/s), **${load.errors} errors**${load.firstError ? ` (first: ${load.firstError})` : ''}; p50 ${fmt(quantile(load.latenciesMs, 0.5), 1)} ms, p99 ${fmt(quantile(load.latenciesMs, 0.99), 1)} ms; ${after.batches} forward passes for ${after.requests} requests.`,
      '',
      table(['', 'first quarter after warm-up', 'last quarter', 'drift'], (['rssMb', 'activeMb', 'cacheMb'] as const).map((k) => [{ rssMb: 'process RSS MB', activeMb: 'MLX active MB', cacheMb: 'MLX cache MB' }[k], fmt(quarter(k, false), 1), fmt(quarter(k, true), 1), pct(drift(k))])),
      '',
      table(['t (s)', ...picks.map((p) => fmt(p.tMs / 1000, 0))], [
        ['RSS MB', ...picks.map((p) => fmt(p.rssMb, 0))],
        ['MLX active MB', ...picks.map((p) => fmt(p.activeMb, 1))],
      ]),
      '',
      `**${load.errors === 0 ? 'No errors' : `${load.errors} ERRORS`}; RSS drift ${pct(drift('rssMb'))}** (goal < 10%: ${Math.abs(drift('rssMb')) < 0.1 && load.errors === 0 ? 'met' : 'NOT met'}).`,
    );
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
