// Issue #19: MLflow's own UI (the pinned `mlflow server`, in a real headless Chromium) shows a sweep's trials
// nested under the sweep run: one collapsed parent row that expands into every trial.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from '../cli/helpers.js';
import { startMlflowServer, type MlflowServer } from '../helpers/mlflow-server.js';
import { launchChromium } from '../ui/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-sweep-ui-'));
let server: MlflowServer | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a sweep in MLflow UI', () => {
  it('lists the trials as child runs under the collapsed sweep run', async () => {
    const db = join(dir, 'mlflow.db');
    const file = join(dir, 'sweep.yaml');
    writeFileSync(file, `extends: quick
outputDir: ${join(dir, 'out')}
tracking: { trackingUri: 'sqlite:///${db}', artifactLocation: ${join(dir, 'artifacts')}, experimentName: nested, runName: lr-search }
model: { maxLength: 16 }
training: { epochs: 1, logEverySteps: 50 }
sweep:
  method: grid
  metric: val_loss
  pruner: { type: none }
  parameters:
    training.learningRate: { values: [1.0e-3, 3.0e-4, 1.0e-4] }
`);
    const r = cli(['sweep', '-c', file, '--json'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as { runId: string; trials: { runId: string; trial: number }[] };
    expect(out.trials).toHaveLength(3);

    server = await startMlflowServer({ backendUri: `sqlite:///${db}` });
    const experiments = await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=nested`)).json() as { experiment: { experiment_id: string } };
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    await page.goto(`${server.url}/#/experiments/${experiments.experiment.experiment_id}/runs`);
    const runLink = (id: string) => page.locator(`a[href$="/runs/${id}"]`);

    // Collapsed: the table counts all four runs but shows one row, the sweep run, with an expand button.
    await page.getByText('4 matching runs').waitFor({ timeout: 120_000 });
    await runLink(out.runId).waitFor({ timeout: 60_000 });
    await expect(runLink(out.runId).innerText()).resolves.toBe('lr-search');
    for (const t of out.trials) expect(await runLink(t.runId).count()).toBe(0);

    // Expanded: every trial, by its run name, under the sweep run.
    const parentRow = page.locator('[role="row"]', { has: runLink(out.runId) });
    await parentRow.locator('button[data-component-id*="runnamecellrenderer"]').click();
    for (const t of out.trials) {
      await runLink(t.runId).waitFor({ timeout: 30_000 });
      await expect(runLink(t.runId).innerText()).resolves.toBe(`lr-search-trial-${t.trial}`);
    }
  }, 900_000);
});
