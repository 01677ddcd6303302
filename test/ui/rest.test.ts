/**
 * The dashboard over an MLflow server (our REST client against a real `mlflow server` from the test venv):
 * the same API answers as over the SQLite file, artifacts come through the server, and traversal is refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/tracking/index.js';
import { startUiServer, type UiServer } from '../../src/ui/server.js';
import { startMlflowServer, type MlflowServer } from '../helpers/mlflow-server.js';
import { fillDemoStore, type DemoStore } from './helpers.js';

let server: MlflowServer;
let demo: DemoStore;
let ui: UiServer;

beforeAll(async () => {
  server = await startMlflowServer();
  demo = await fillDemoStore(await openStore(server.url), server.url, mkdtempSync(join(tmpdir(), 'mlxt-ui-rest-')));
  ui = await startUiServer({ store: demo.store, port: 0 });
});
afterAll(async () => {
  await ui?.close();
  await demo?.store.close();
  await server?.stop();
});

const json = async (path: string) => {
  const res = await fetch(new URL(path, ui.url));
  return { status: res.status, body: (await res.json()) as any }; // checked field by field below
};

describe('mlx-train ui over an MLflow server', () => {
  it('lists experiments, filters runs and returns curves, config and children', async () => {
    const { body: exps } = await json('/api/experiments');
    expect(exps.experiments.map((e: { name: string }) => e.name).sort()).toEqual(['Default', 'sweep', 'titanic']);
    const { body: small } = await json(`/api/runs?${new URLSearchParams({ experiments: demo.experimentId, filter: "params.model.size = 'small'" })}`);
    expect(small.runs.map((r: { runName: string }) => r.runName)).toEqual(['slow-lr']);
    const { body: series } = await json(`/api/runs/${demo.runs.fast}/metrics?keys=train_loss`);
    expect(series.series.train_loss.step).toHaveLength(60);
    const { body: detail } = await json(`/api/runs/${demo.runs.fast}`);
    expect(detail.configYaml).toContain('learningRate: 0.01');
    const { body: parent } = await json(`/api/runs/${demo.runs.parent}`);
    expect(parent.children).toHaveLength(4);
  });

  it('reads artifacts through the server and refuses paths outside the run', async () => {
    const png = await fetch(new URL(`/api/runs/${demo.runs.fast}/artifact?path=plots/training_curves.png`, ui.url));
    expect(png.status).toBe(200);
    expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    for (const path of ['../../mlflow.db', '/etc/passwd', 'plots/../../x']) {
      const res = await fetch(new URL(`/api/runs/${demo.runs.fast}/artifact?${new URLSearchParams({ path })}`, ui.url));
      expect(res.status, path).toBe(400);
    }
  });
});
