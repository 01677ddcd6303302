/**
 * The dashboard in a real headless Chromium (Debian's, driven by playwright-core) over a real store:
 * experiments, filtering, sorting, the column picker, a run's curves, comparing, a sweep, and a point
 * logged by another process showing up while the page is open. MLX_TRAIN_UI_SCREENSHOTS=dir saves
 * the README's screenshots there.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { root } from '../cli/helpers.js';
import { launchChromium, makeDemoStore, type DemoStore } from './helpers.js';

let demo: DemoStore;
let ui: UiServer;
let browser: Browser;
let page: Page;
const errors: string[] = [];
const shots = process.env.MLX_TRAIN_UI_SCREENSHOTS;

async function open(hash: string): Promise<void> {
  // A full load each time: a hash-only change would not reload, and the old render would still say ready.
  await page.goto('about:blank');
  await page.goto(`${ui.url}#${hash}`);
  await page.waitForSelector('body[data-ready=true]');
}

beforeAll(async () => {
  demo = await makeDemoStore();
  ui = await startUiServer({ store: demo.store, port: 0, live: { intervalMs: 250 } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
});
afterAll(async () => {
  await browser?.close();
  await ui?.close();
  await demo?.store.close();
});

describe('mlx-train ui in Chromium', () => {
  it('lists the experiments and the runs of one, with trials nested under their sweep', async () => {
    await open('/');
    const names = await page.locator('nav#experiments a').allTextContents();
    expect(names.sort()).toEqual(['Default', 'sweep', 'titanic']);
    await page.click(`nav a[data-experiment-id="${demo.sweepExperimentId}"]`);
    await page.waitForSelector('table.runs tbody tr');
    const rows = page.locator('table.runs tbody tr');
    expect(await rows.count()).toBe(5);
    expect(await rows.first().getAttribute('data-run-id')).toBe(demo.runs.parent);
    expect(await page.locator('table.runs tbody tr.child').count()).toBe(4);
    await page.click('table.runs button.toggle');
    expect(await page.locator('table.runs tbody tr.child').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('filters with MLflow syntax, shows a bad filter\'s error, sorts by a column and picks columns', async () => {
    await open(`/experiments/${demo.experimentId}`);
    expect(await page.locator('table.runs tbody tr').count()).toBe(3);
    if (shots) await page.screenshot({ path: join(shots, 'ui-runs.png') });
    await page.fill('input[name=filter]', "params.model.size = 'small' and metrics.train_loss > 0.1");
    await page.press('input[name=filter]', 'Enter');
    await expect.poll(() => page.locator('table.runs tbody tr').count()).toBe(1);
    expect(await page.locator('table.runs tbody tr a.run-link').textContent()).toBe('slow-lr');

    await page.fill('input[name=filter]', 'metrics.train_loss >> 1');
    await page.press('input[name=filter]', 'Enter');
    await page.waitForSelector('.error:not(:empty)');
    expect(await page.locator('table.runs tbody tr').count()).toBe(0);
    // The 400 behind that message is the one console error this test expects.
    expect(errors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);

    await open(`/experiments/${demo.experimentId}`);
    await page.click('th[data-column="metrics:train_loss"]');
    await expect.poll(() => page.url()).toContain('order=');
    await page.waitForSelector('body[data-ready=true] th.sorted[data-column="metrics:train_loss"]');
    const desc = await page.locator('table.runs tbody tr a.run-link').allTextContents();
    expect(desc).toEqual(['slow-lr', 'still-training', 'fast-lr']);

    expect(await page.locator('th[data-column="metrics:samples_per_second"]').count()).toBe(0);
    await page.click('button.columns-button');
    await page.check('.column-picker input[name="metrics:samples_per_second"]');
    expect(await page.locator('th[data-column="metrics:samples_per_second"]').count()).toBe(1);
    await page.uncheck('.column-picker input[name="params:model.size"]');
    expect(await page.locator('th[data-column="params:model.size"]').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('opens a run and sees its curves, system figures, config and artifacts', async () => {
    await open(`/experiments/${demo.experimentId}`);
    await page.click('a.run-link:text-is("fast-lr")');
    await page.waitForSelector('body[data-ready=true] .chart[data-metric=train_loss] canvas');
    expect(await page.locator('.chart[data-metric=train_loss]').getAttribute('data-points')).toBe('60');
    expect(await page.locator('section.system .chart[data-metric="system/rss_memory_mb"]').count()).toBe(1);
    expect(await page.locator('pre.yaml').textContent()).toContain('learningRate: 0.01');
    await page.waitForSelector('ul.artifacts img');
    expect(await page.locator('ul.artifacts img').evaluate((img) => (img as unknown as { complete: boolean; naturalWidth: number }).complete && (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(240);
    const download = page.locator('a[download="predictions.csv"]');
    expect(await download.getAttribute('href')).toContain('download=1');
    // Smoothing and x = time redraw the same chart without errors.
    await page.locator('input[name=smoothing]').fill('0.9');
    await page.selectOption('select[name=x]', 'time');
    await page.waitForSelector('.chart[data-metric=train_loss] .u-axis');
    if (shots) await page.screenshot({ path: join(shots, 'ui-run.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('compares two runs: overlaid curves and a params diff', async () => {
    await open(`/experiments/${demo.experimentId}`);
    await page.check(`tr[data-run-id="${demo.runs.fast}"] input[type=checkbox]`);
    expect(await page.locator('button.compare').isDisabled()).toBe(true);
    await page.check(`tr[data-run-id="${demo.runs.slow}"] input[type=checkbox]`);
    await page.click('button.compare');
    await page.waitForSelector('body[data-ready=true] .chart[data-metric=train_loss] canvas');
    expect(await page.locator('.chart[data-metric=train_loss]').getAttribute('data-lines')).toBe('2');
    const differing = await page.locator('table.params-diff tr.differs th').allTextContents();
    expect(differing).toEqual(['model.layers', 'model.size', 'training.learningRate']);
    if (shots) await page.screenshot({ path: join(shots, 'ui-compare.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows a sweep in parallel coordinates', async () => {
    await open(`/runs/${demo.runs.parent}`);
    await page.waitForSelector('svg.parcoords');
    expect(await page.locator('svg.parcoords polyline.trial').count()).toBe(4);
    const axes = await page.locator('svg.parcoords text.axis-label').allTextContents();
    expect(axes).toEqual(['model.layers', 'model.size', 'training.learningRate', 'val_accuracy']);
    expect(errors).toEqual([]);
  });

  it('draws a point within 2 s of another process logging it', async () => {
    await open(`/runs/${demo.runs.running}`);
    const chart = page.locator('.chart[data-metric=train_loss]');
    await expect.poll(() => chart.getAttribute('data-points'), { timeout: 10_000 }).toBe('20');
    const writer = spawn(process.execPath, ['--import', join(root, 'scripts/register-ts.mjs'), join(root, 'test/ui/children/writer.ts'), demo.uri, demo.runs.running, '21', '3', '700'], { cwd: root });
    const delays: number[] = [];
    let pending = '';
    const done = new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (d) => { pending += d; });
      writer.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited with ${code}`))));
    });
    for (const step of [21, 22, 23]) {
      await expect.poll(() => chart.getAttribute('data-points'), { timeout: 10_000, interval: 20 }).toBe(String(step));
      const seen = Date.now();
      const line = pending.split('\n').find((l) => l.startsWith(`logged ${step} `));
      expect(line, `writer's line for step ${step}`).toBeDefined();
      delays.push(seen - Number(line!.split(' ')[2]));
    }
    await done;
    console.log(`ui live: logged → drawn in ${delays.join(', ')} ms`);
    expect(Math.max(...delays)).toBeLessThan(2000);
    await demo.store.setTerminated(demo.runs.running, 'FINISHED');
    await page.waitForSelector('h1 .status-finished');
    expect(await chart.getAttribute('data-points')).toBe('23');
    expect(errors).toEqual([]);
  });
});
