/**
 * `mlx-train ui` first paint on a big store: 1,000 runs × 10,000 metric points each (10 M rows, written
 * through the store's own logBatch, cached in bench/.out/ui-store; --fresh rebuilds it). Headless Chromium
 * (Debian's) loads the dashboard in a fresh browser context per trial; a trial's time is from navigation
 * start to the frame after the runs table (all 1,000 rows) is in the DOM. Alternates with a floor: the same
 * browser painting a one-line page from the same server. Also times a run page that draws 10,000 points,
 * and weighs the page (html + js + css as served).
 * Goals: first paint < 1 s; page weight < 500 KB.
 * Run: node --import ./scripts/register-ts.mjs bench/ui-first-paint.ts [--trials N] [--fresh] [--runs N]
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { TrackingStore } from '../src/tracking/index.js';
import { startUiServer } from '../src/ui/server.js';
import { argValue, fmt, median, root, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

const RUNS = argValue('runs', 1000);
const POINTS = 10_000;

async function buildStore(dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = new TrackingStore(`sqlite:///${join(dir, 'mlflow.db')}`);
  const exp = await store.createExperiment('bench-ui');
  const t0 = Date.now() - 86_400_000;
  const started = Date.now();
  for (let r = 0; r < RUNS; r++) {
    const run = await store.createRun(exp, { runName: `run-${r}`, startTime: t0 + r * 60_000 });
    const id = run.info.runId;
    await store.logBatch(id, { params: Array.from({ length: 20 }, (_, i) => ({ key: `param_${i}`, value: (r * (i + 1)) % 97 })) });
    // 8,000 training points and 1,000 each of two validation metrics: 10,000 points per run.
    let batch: { key: string; value: number; step: number; timestamp: number }[] = [];
    for (let s = 0; s < 8000; s++) {
      batch.push({ key: 'train_loss', value: 1 / (1 + s * 0.01) + ((r + s) % 13) * 1e-3, step: s, timestamp: t0 + r * 60_000 + s * 10 });
      if (s % 8 === 0) {
        batch.push({ key: 'val_loss', value: 1.1 / (1 + s * 0.01), step: s, timestamp: t0 + r * 60_000 + s * 10 });
        batch.push({ key: 'val_accuracy', value: 0.5 + 0.4 * (1 - 1 / (1 + s * 0.001)), step: s, timestamp: t0 + r * 60_000 + s * 10 });
      }
      if (batch.length >= 1000) { await store.logBatch(id, { metrics: batch }); batch = []; }
    }
    if (batch.length) await store.logBatch(id, { metrics: batch });
    await store.setTerminated(id, 'FINISHED', t0 + r * 60_000 + 80_000);
    if (r % 100 === 99) console.error(`ui-first-paint: ${r + 1}/${RUNS} runs written (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await store.close();
}

async function timeLoad(browser: Browser, url: string, selector: string, mark: boolean): Promise<{ ms: number; bytes: Record<string, number> }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const bytes: Record<string, number> = {};
  page.on('response', async (res) => {
    try {
      const kind = new URL(res.url()).pathname.startsWith('/api/') ? 'api' : 'assets';
      bytes[kind] = (bytes[kind] ?? 0) + (await res.body()).length;
    } catch { /* an SSE stream has no body to weigh */ }
  });
  await page.goto(url);
  await page.waitForSelector(selector, { timeout: 60_000 });
  const ms = mark
    ? await page.evaluate<number>(`new Promise((resolve) => {
      const poll = () => { const m = performance.getEntriesByName('mlxt-rendered')[0]; if (m) resolve(m.startTime); else setTimeout(poll, 5); };
      poll();
    })`)
    : await page.evaluate<number>('new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())))');
  await context.close();
  return { ms, bytes };
}

async function main(): Promise<void> {
  const trials = argValue('trials', 7);
  const dir = join(root, 'bench', '.out', `ui-store-${RUNS}`);
  const db = join(dir, 'mlflow.db');
  if (process.argv.includes('--fresh') || !existsSync(db)) await buildStore(dir);
  const machine = describeMachine();
  const store = new TrackingStore(`sqlite:///${db}`);
  const ui = await startUiServer({ store, port: 0 });
  const floor = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><p id="x">floor</p>'));
  await new Promise<void>((r) => floor.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({ executablePath: process.env.MLX_TRAIN_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const { runs } = await store.searchRuns([(await store.getExperimentByName('bench-ui'))!.experimentId], { maxResults: 1 });
  const runUrl = `${ui.url}#/runs/${runs[0].info.runId}`;
  const times: Record<string, number[]> = { floor: [], runs: [], run: [] };
  let weight: Record<string, number> = {};
  let runWeight: Record<string, number> = {};
  // One untimed load each warms the OS page cache for the database file.
  await timeLoad(browser, ui.url, 'body[data-ready=true] table.runs tbody tr', true);
  for (let t = 0; t < trials; t++) {
    times.floor.push((await timeLoad(browser, floorUrl, '#x', false)).ms);
    const first = await timeLoad(browser, ui.url, 'body[data-ready=true] table.runs tbody tr', true);
    times.runs.push(first.ms);
    weight = first.bytes;
    const runPage = await timeLoad(browser, runUrl, 'body[data-ready=true] .chart[data-metric=train_loss] canvas', true);
    times.run.push(runPage.ms);
    runWeight = runPage.bytes;
  }
  await browser.close();
  await ui.close();
  floor.close();
  await store.close();

  const floorMs = median(times.floor);
  const row = (name: string, xs: number[]) => [name, fmt(median(xs), 0), fmt(Math.min(...xs), 0), fmt(Math.max(...xs), 0), `${fmt(median(xs) / floorMs, 1)}×`];
  const kb = (n = 0) => fmt(n / 1024, 1);
  const first = median(times.runs);
  console.log([
    `### ui-first-paint (${trials} trials, alternating; fresh browser context each; store ${RUNS} runs × ${POINTS} points, ${fmt(statSync(db).size / 2 ** 20, 0)} MiB)`,
    '',
    machine,
    '',
    table(['page (headless Chromium, Debian)', 'median ms', 'min ms', 'max ms', 'vs floor'], [
      row('floor: one-line page from a bare node:http server', times.floor),
      row(`runs table, all ${RUNS} runs (navigation → rendered frame)`, times.runs),
      row(`run page, train_loss curve of 8,000 points + 2 × 1,000`, times.run),
    ]),
    '',
    `- Page weight (as served, uncompressed): html+js+css ${kb(weight.assets)} KB; runs API JSON ${kb(weight.api)} KB; run page API JSON ${kb(runWeight.api)} KB`,
    `- Goal first paint < 1 s: ${fmt(first, 0)} ms (${first < 1000 ? 'met' : 'NOT met'})`,
    `- Goal page weight < 500 KB: ${kb(weight.assets)} KB of assets (${(weight.assets ?? 0) < 500 * 1024 ? 'met' : 'NOT met'})`,
  ].join('\n'));
}

await main();
