// RestStore against a real `mlflow server` (pinned MLflow from .venv): what we log over REST must be
// exactly what MLflow's own Python client reads back, and MLflow's errors must reach us with their codes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/tracking/index.js';
import { RestError, RestStore } from '../../src/tracking/rest/index.js';
import type { TrackingClient } from '../../src/tracking/types.js';
import { PythonLineWorker, startMlflowServer, type MlflowServer } from '../helpers/mlflow-server.js';

let server: MlflowServer;
let store: TrackingClient;
let work: string;
let python: PythonLineWorker;

beforeAll(async () => {
  python = new PythonLineWorker('test/tracking/py/d2_dump_run.py');
  server = await startMlflowServer();
  store = await openStore(server.url);
  work = mkdtempSync(join(tmpdir(), 'mlxt-rest-'));
});
afterAll(async () => {
  await store?.close();
  await server?.stop();
  await python?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

type Dump = {
  experiment: { id: string; name: string; tags: Record<string, string>; lifecycle_stage: string };
  info: Record<string, unknown>;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, number | string>;
  history: Record<string, [number, number, number | string][]>;
  artifacts: { path: string; is_dir: boolean; file_size: number | null }[];
  inputs: { name: string; digest: string; tags: Record<string, string> }[];
};

/** MLflow's Python client reading the run, either through the server or straight from its SQLite file. */
function pythonDump(uri: string, runId: string): Promise<Dump> {
  return python.request<Dump>(`${uri} ${runId}`);
}

const asJson = (v: number): number | string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);

async function expectRestError(promise: Promise<unknown>, code: string, message: RegExp, httpStatus?: number): Promise<RestError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RestError);
  const rest = err as RestError;
  expect(rest.code).toBe(code);
  expect(rest.message).toMatch(message);
  if (httpStatus !== undefined) expect(rest.httpStatus).toBe(httpStatus);
  return rest;
}

describe('RestStore against mlflow server', () => {
  it('openStore picks the REST backend for http URIs', () => {
    expect(store).toBeInstanceOf(RestStore);
    expect(store.trackingUri).toBe(server.url);
  });

  it('logs experiments, runs, params, metrics (incl. NaN/±Inf), tags and batches that MLflow reads back identically', async () => {
    const expId = await store.createExperiment('rest-interop', { tags: { team: 'nlp', 'mlflow.note.content': 'hello' } });
    const run = await store.createRun(expId, { runName: 'bert-tiny', tags: { stage: 'dev' }, startTime: 1_700_000_000_000 });
    const runId = run.info.runId;
    expect(run.info.runName).toBe('bert-tiny');
    expect(run.info.status).toBe('RUNNING');
    expect(run.info.artifactUri).toMatch(/^mlflow-artifacts:\//);

    await store.logParam(runId, 'lr', 0.001);
    await store.logParam(runId, 'epochs', 3);
    await store.logParam(runId, 'use_amp', false);
    await store.logParam(runId, 'model name', 'bert/tiny');
    await store.setTag(runId, 'phase', 'train');
    await store.logMetric(runId, 'loss', 0.5, { step: 0, timestamp: 1000 });
    await store.logMetric(runId, 'loss', Number.NaN, { step: 1, timestamp: 1001 });
    await store.logMetric(runId, 'loss', 0.25, { step: 2, timestamp: 1002 });
    await store.logMetric(runId, 'grad_norm', Number.POSITIVE_INFINITY, { step: 0, timestamp: 1000 });
    await store.logMetric(runId, 'grad_min', Number.NEGATIVE_INFINITY, { step: 0, timestamp: 1000 });
    await store.logMetric(runId, 'last_nan', Number.NaN, { step: 5, timestamp: 1000 });

    // A batch past every per-request limit: 2500 metrics, 150 params, 120 tags → several requests.
    const metrics = Array.from({ length: 2500 }, (_, i) => ({ key: `m${i % 5}`, value: i / 7, step: Math.floor(i / 5), timestamp: 5000 + i }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `p${i}`, value: i % 2 ? `v${i}` : i * 1.5 }));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: `tag value ${i}` }));
    await store.logBatch(runId, { metrics, params, tags });
    await store.setTerminated(runId, 'FINISHED', 1_700_000_100_000);

    for (const uri of [server.url, server.backendUri]) {
      const dump = await pythonDump(uri, runId);
      expect(dump.experiment).toMatchObject({ id: expId, name: 'rest-interop', lifecycle_stage: 'active' });
      expect(dump.experiment.tags).toMatchObject({ team: 'nlp', 'mlflow.note.content': 'hello' });
      expect(dump.info).toMatchObject({
        run_id: runId,
        run_name: 'bert-tiny',
        status: 'FINISHED',
        start_time: 1_700_000_000_000,
        end_time: 1_700_000_100_000,
        experiment_id: expId,
      });
      const expectedParams: Record<string, string> = { lr: '0.001', epochs: '3', use_amp: 'False', 'model name': 'bert/tiny' };
      for (const p of params) expectedParams[p.key] = typeof p.value === 'number' ? String(p.value) : p.value;
      expect(dump.params).toEqual(expectedParams);
      expect(dump.tags).toMatchObject({ stage: 'dev', phase: 'train', 'mlflow.runName': 'bert-tiny', t0: 'tag value 0', t119: 'tag value 119' });
      expect(Object.keys(dump.tags).filter((k) => /^t\d+$/.test(k))).toHaveLength(120);
      expect(dump.history.loss).toEqual([
        [0, 1000, 0.5],
        [1, 1001, 'NaN'],
        [2, 1002, 0.25],
      ]);
      expect(dump.metrics.loss).toBe(0.25);
      expect(dump.metrics.last_nan).toBe('NaN');
      // MLflow stores ±inf as ±max double in SQL.
      expect(Math.abs(Number(dump.metrics.grad_norm))).toBeGreaterThan(1e308);
      expect(Number(dump.metrics.grad_min)).toBeLessThan(-1e308);
      for (let k = 0; k < 5; k++) {
        const expected = metrics.filter((m) => m.key === `m${k}`).map((m) => [m.step, m.timestamp, asJson(m.value)]);
        expect(dump.history[`m${k}`]).toEqual(expected);
      }
    }

    // Our own read-back agrees with MLflow's.
    const ours = await store.getRun(runId);
    const theirs = await pythonDump(server.url, runId);
    expect(ours.data.params).toEqual(theirs.params);
    expect(ours.data.tags).toEqual(theirs.tags);
    expect(Object.fromEntries(Object.entries(ours.data.metrics).map(([k, v]) => [k, asJson(v)]))).toEqual(theirs.metrics);
    const history = await store.getMetricHistory(runId, 'loss');
    expect(history.map((m) => [m.step, m.timestamp, asJson(m.value)])).toEqual(theirs.history.loss);
    expect((await store.getMetricHistory(runId, 'm3')).length).toBe(500);
  });

  it('uploads, lists and downloads artifacts through the server proxy', async () => {
    const expId = await store.createExperiment('rest-artifacts');
    const runId = (await store.createRun(expId)).info.runId;
    const src = join(work, 'src');
    mkdirSync(join(src, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(src, 'config.yaml'), 'lr: 0.001\n');
    writeFileSync(join(src, 'nested', 'weights.bin'), Buffer.from([0, 1, 2, 255, 254]));
    writeFileSync(join(src, 'nested', 'deeper', 'notes.txt'), 'ünïcödé');
    const single = join(work, 'report.json');
    writeFileSync(single, '{"acc": 0.9}');

    await store.logArtifact(runId, single);
    await store.logArtifact(runId, single, 'reports/final');
    await store.logArtifacts(runId, src, 'model');

    expect(await store.listArtifacts(runId)).toEqual([
      { path: 'model', isDir: true },
      { path: 'report.json', isDir: false, fileSize: 12 },
      { path: 'reports', isDir: true },
    ]);
    expect(await store.listArtifacts(runId, 'model/nested')).toEqual([
      { path: 'model/nested/deeper', isDir: true },
      { path: 'model/nested/weights.bin', isDir: false, fileSize: 5 },
    ]);

    const theirs = (await pythonDump(server.url, runId)).artifacts.map((a) => a.path).sort();
    expect(theirs).toEqual(
      ['model', 'model/config.yaml', 'model/nested', 'model/nested/deeper', 'model/nested/deeper/notes.txt', 'model/nested/weights.bin', 'report.json', 'reports', 'reports/final', 'reports/final/report.json'].sort(),
    );

    const out = await store.downloadArtifacts(runId, 'model', join(work, 'dl'));
    expect(out).toBe(join(work, 'dl', 'model'));
    expect(readFileSync(join(out, 'config.yaml'), 'utf8')).toBe('lr: 0.001\n');
    expect([...readFileSync(join(out, 'nested', 'weights.bin'))]).toEqual([0, 1, 2, 255, 254]);
    expect(readFileSync(join(out, 'nested', 'deeper', 'notes.txt'), 'utf8')).toBe('ünïcödé');
    const file = await store.downloadArtifacts(runId, 'reports/final/report.json', join(work, 'dl2'));
    expect(readFileSync(file, 'utf8')).toBe('{"acc": 0.9}');

    await expect(store.logArtifact(runId, join(work, 'missing.txt'))).rejects.toThrow(/no file at .*missing\.txt/);
    await expect(store.logArtifact(runId, single, '../escape')).rejects.toThrow(/'\.\.' is not allowed/);
  });

  it('searches experiments and runs with filters, ordering and paging', async () => {
    const expId = await store.createExperiment('rest-search', { tags: { kind: 'search' } });
    for (let i = 0; i < 5; i++) {
      const runId = (await store.createRun(expId, { runName: `r${i}`, startTime: 1_000 + i })).info.runId;
      await store.logBatch(runId, { metrics: [{ key: 'acc', value: i / 10, step: 0 }], params: [{ key: 'lr', value: i % 2 ? '0.1' : '0.01' }] });
    }
    const found = await store.searchRuns([expId], { filterString: "params.lr = '0.1' AND metrics.acc > 0.2", orderBy: ['metrics.acc DESC'] });
    expect(found.runs.map((r) => r.info.runName)).toEqual(['r3']);
    const page1 = await store.searchRuns([expId], { maxResults: 2, orderBy: ['attributes.start_time ASC'] });
    expect(page1.runs.map((r) => r.info.runName)).toEqual(['r0', 'r1']);
    expect(page1.nextPageToken).toBeTruthy();
    const page2 = await store.searchRuns([expId], { maxResults: 2, orderBy: ['attributes.start_time ASC'], pageToken: page1.nextPageToken });
    expect(page2.runs.map((r) => r.info.runName)).toEqual(['r2', 'r3']);
    const exps = await store.searchExperiments({ filterString: "tags.kind = 'search'" });
    expect(exps.experiments.map((e) => e.name)).toEqual(['rest-search']);
    expect((await store.getExperimentByName('rest-search'))?.experimentId).toBe(expId);
    expect(await store.getExperimentByName('no such experiment')).toBeNull();
  });

  it('nests a run under its parent and keeps its description, as the SQLite store does', async () => {
    const expId = await store.createExperiment('rest-nested');
    const parent = (await store.createRun(expId, { runName: 'sweep' })).info.runId;
    const child = await store.createRun(expId, { runName: 'trial-0', parentRunId: parent, description: 'first trial' });
    const tags = (await store.getRun(child.info.runId)).data.tags;
    expect(tags['mlflow.parentRunId']).toBe(parent);
    expect(tags['mlflow.note.content']).toBe('first trial');
  });

  it('renames, deletes and restores experiments and runs; tags can be deleted', async () => {
    const expId = await store.createExperiment('rest-lifecycle');
    const runId = (await store.createRun(expId)).info.runId;
    await store.setTag(runId, 'tmp', 'x');
    await store.deleteTag(runId, 'tmp');
    expect((await store.getRun(runId)).data.tags.tmp).toBeUndefined();
    await store.updateRun(runId, { name: 'renamed' });
    expect((await store.getRun(runId)).info.runName).toBe('renamed');
    await store.deleteRun(runId);
    expect((await store.getRun(runId)).info.lifecycleStage).toBe('deleted');
    await store.restoreRun(runId);
    await store.renameExperiment(expId, 'rest-lifecycle-2');
    await store.setExperimentTag(expId, 'k', 'v');
    expect(await store.getExperiment(expId)).toMatchObject({ name: 'rest-lifecycle-2', tags: { k: 'v' } });
    await store.deleteExperiment(expId);
    expect((await store.getExperiment(expId)).lifecycleStage).toBe('deleted');
    await expectRestError(store.createRun(expId), 'INVALID_PARAMETER_VALUE', /active/i, 400);
    await store.restoreExperiment(expId);
    expect((await store.getExperiment(expId)).lifecycleStage).toBe('active');
  });

  it('logs dataset inputs that MLflow reads back', async () => {
    const expId = await store.createExperiment('rest-inputs');
    const runId = (await store.createRun(expId)).info.runId;
    await store.logInputs(runId, [
      {
        dataset: { name: 'sst2', digest: 'abc123', sourceType: 'local', source: '{"uri": "file:///data/sst2.csv"}', profile: '{"num_rows": 10}' },
        tags: [{ key: 'mlflow.data.context', value: 'training' }],
      },
    ]);
    expect((await pythonDump(server.url, runId)).inputs).toEqual([{ name: 'sst2', digest: 'abc123', tags: { 'mlflow.data.context': 'training' } }]);
    const ours = await store.getRun(runId);
    expect(ours.inputs.datasetInputs[0].dataset).toMatchObject({ name: 'sst2', digest: 'abc123', sourceType: 'local' });
  });

  it('drives the model registry', async () => {
    const expId = await store.createExperiment('rest-registry');
    const runId = (await store.createRun(expId)).info.runId;
    const model = await store.createRegisteredModel('bert-cls', { tags: { task: 'sst2' }, description: 'classifier' });
    expect(model).toMatchObject({ name: 'bert-cls', description: 'classifier', tags: { task: 'sst2' } });
    const v1 = await store.createModelVersion('bert-cls', `runs:/${runId}/model`, { runId, tags: { q: 'fp32' } });
    expect(v1).toMatchObject({ name: 'bert-cls', version: '1', runId, tags: { q: 'fp32' } });
    await store.setRegisteredModelTag('bert-cls', 'owner', 'me');
    await store.setModelVersionTag('bert-cls', '1', 'checked', 'yes');
    await store.setRegisteredModelAlias('bert-cls', 'champion', '1');
    expect((await store.getModelVersionByAlias('bert-cls', 'champion')).version).toBe('1');
    expect(await store.getRegisteredModel('bert-cls')).toMatchObject({ aliases: { champion: '1' }, tags: { owner: 'me', task: 'sst2' } });
    expect((await store.getModelVersion('bert-cls', '1')).tags).toMatchObject({ checked: 'yes', q: 'fp32' });
    expect((await store.searchRegisteredModels({ filterString: "name LIKE 'bert%'" })).registeredModels.map((m) => m.name)).toEqual(['bert-cls']);
    await store.deleteRegisteredModelAlias('bert-cls', 'champion');
    await expectRestError(store.getModelVersionByAlias('bert-cls', 'champion'), 'INVALID_PARAMETER_VALUE', /champion/);
    await store.deleteRegisteredModel('bert-cls');
    await expectRestError(store.getRegisteredModel('bert-cls'), 'RESOURCE_DOES_NOT_EXIST', /bert-cls/, 404);
  });

  it("surfaces MLflow's error codes and messages", async () => {
    const expId = await store.createExperiment('rest-errors');
    const runId = (await store.createRun(expId)).info.runId;
    await expectRestError(store.getRun('0123456789abcdef0123456789abcdef'), 'RESOURCE_DOES_NOT_EXIST', /0123456789abcdef0123456789abcdef/, 404);
    await expectRestError(store.getExperiment('987654'), 'RESOURCE_DOES_NOT_EXIST', /987654/, 404);
    await expectRestError(store.createExperiment('rest-errors'), 'RESOURCE_ALREADY_EXISTS', /rest-errors/);
    await store.logParam(runId, 'lr', '0.1');
    await store.logParam(runId, 'lr', '0.1'); // same value again is fine
    await expectRestError(store.logParam(runId, 'lr', '0.2'), 'INVALID_PARAMETER_VALUE', /lr/, 400);
    await expectRestError(store.logMetric(runId, 'a'.repeat(300), 1), 'INVALID_PARAMETER_VALUE', /Metric name.*250/, 400);
    await expectRestError(store.searchRuns([expId], { filterString: "params.x = 'a' OR 1=1 --" }), 'INVALID_PARAMETER_VALUE', /filter|OR/i, 400);
    // The wrong JS type never reaches the wire.
    await expect(store.logMetric(runId, 'loss', '0.5' as unknown as number)).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    await expect(store.getRun('')).rejects.toThrow(/non-empty string for run id/);
  });
});
