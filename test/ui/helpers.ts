/** A real SQLite store with runs, curves, artifacts and a sweep, and a real headless Chromium. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { chromium, type Browser } from 'playwright-core';
import { TrackingStore, type TrackingClient } from '../../src/tracking/index.js';

export const CHROMIUM = process.env.MLX_TRAIN_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
}

export interface DemoStore {
  dir: string;
  uri: string;
  store: TrackingClient;
  experimentId: string;
  sweepExperimentId: string;
  runs: { fast: string; slow: string; running: string; parent: string; trials: string[] };
}

function curve(run: string, store: TrackingClient, steps: number, lr: number, start: number) {
  const metrics = [];
  for (let s = 1; s <= steps; s++) {
    const t = start + s * 1000;
    metrics.push({ key: 'train_loss', value: 0.7 * Math.exp(-lr * 300 * s / steps) + 0.05 * Math.sin(s), step: s, timestamp: t });
    metrics.push({ key: 'system/rss_memory_mb', value: 400 + s, step: s, timestamp: t });
    metrics.push({ key: 'samples_per_second', value: 100 + (s % 7), step: s, timestamp: t });
    if (s % 10 === 0) metrics.push({ key: 'val_accuracy', value: 0.6 + 0.3 * (1 - Math.exp(-lr * 200 * s / steps)), step: s, timestamp: t });
  }
  return store.logBatch(run, { metrics });
}

function png(text: string): Buffer {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="240" height="120"><rect width="240" height="120" fill="#eef2ff"/>` +
    `<polyline points="10,110 60,60 110,40 160,30 230,25" fill="none" stroke="#2563eb" stroke-width="3"/>` +
    `<text x="12" y="20" font-size="14" font-family="DejaVu Sans">${text}</text></svg>`;
  return Buffer.from(new Resvg(svg).render().asPng());
}

/** Experiment `titanic` (three runs, one still RUNNING) and `sweep` (a parent with four trials). */
export async function makeDemoStore(): Promise<DemoStore> {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-ui-'));
  const uri = `sqlite:///${join(dir, 'mlflow.db')}`;
  return fillDemoStore(new TrackingStore(uri), uri, dir);
}

/** The same runs written through any backend (the REST test fills an MLflow server with them). */
export async function fillDemoStore(store: TrackingClient, uri: string, dir: string): Promise<DemoStore> {
  const experimentId = await store.createExperiment('titanic');
  const start = Date.now() - 3_600_000;
  const make = async (name: string, lr: number, layers: number, exp = experimentId, parentRunId?: string) => {
    const run = await store.createRun(exp, { runName: name, startTime: start, parentRunId });
    // Set by hand too: RestStore.createRun does not send parentRunId (the SQLite store does); reported.
    if (parentRunId) await store.setTag(run.info.runId, 'mlflow.parentRunId', parentRunId);
    await store.logBatch(run.info.runId, { params: [
      { key: 'training.learningRate', value: lr }, { key: 'model.layers', value: layers }, { key: 'model.size', value: layers > 2 ? 'small' : 'tiny' },
    ] });
    return run.info.runId;
  };
  const fast = await make('fast-lr', 0.01, 2);
  const slow = await make('slow-lr', 0.001, 4);
  const running = await make('still-training', 0.005, 2);
  for (const [id, lr] of [[fast, 0.01], [slow, 0.001]] as const) {
    await curve(id, store, 60, lr, start);
    await store.setTerminated(id, 'FINISHED', start + 61_000);
  }
  await curve(running, store, 20, 0.005, start);

  const files = join(dir, 'upload');
  mkdirSync(join(files, 'plots'), { recursive: true });
  writeFileSync(join(files, 'config.yaml'), 'training:\n  learningRate: 0.01\n  epochs: 3\nmodel:\n  layers: 2\n');
  writeFileSync(join(files, 'plots', 'training_curves.png'), png('training curves'));
  writeFileSync(join(files, 'predictions.csv'), 'id,prediction\n1,0\n2,1\n');
  await store.logArtifact(fast, join(files, 'config.yaml'));
  await store.logArtifact(fast, join(files, 'predictions.csv'));
  await store.logArtifacts(fast, join(files, 'plots'), 'plots');

  const sweepExperimentId = await store.createExperiment('sweep');
  const parent = await make('lr-sweep', 0.01, 2, sweepExperimentId);
  const trials: string[] = [];
  for (const [i, lr] of [0.02, 0.01, 0.003, 0.001].entries()) {
    const id = await make(`trial-${i}`, lr, 2 + (i % 2) * 2, sweepExperimentId, parent);
    await curve(id, store, 40, lr, start);
    await store.setTerminated(id, 'FINISHED', start + 41_000);
    trials.push(id);
  }
  await store.setTerminated(parent, 'FINISHED', start + 200_000);
  return { dir, uri, store, experimentId, sweepExperimentId, runs: { fast, slow, running, parent, trials } };
}
