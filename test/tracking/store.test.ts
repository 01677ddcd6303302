// The SQLite store's own behaviour on a real database file: lifecycle rules, MLflow's value encodings,
// latest-metric rule, batch atomicity, search, artifacts and registry. (Byte-level compatibility with
// MLflow itself is proven in mlflow-interop.test.ts.)
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, StoreError, TrackingStore } from '../../src/index.js';

let dir: string;
let store: TrackingStore;
let exp: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlxt-store-'));
  store = new TrackingStore(`sqlite:///${join(dir, 'mlflow.db')}`);
  exp = await store.createExperiment('store-tests');
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return (err as StoreError).code;
  }
  throw new Error('expected the call to fail');
};

describe('experiments', () => {
  it('creates with the default artifact location rule and finds by id and name', async () => {
    const id = await store.createExperiment('exp-a', { tags: { team: 'nlp' } });
    const e = await store.getExperiment(id);
    expect(e).toMatchObject({ experimentId: id, name: 'exp-a', lifecycleStage: 'active', tags: { team: 'nlp' } });
    expect(e.artifactLocation).toBe(join(dir, 'artifacts', id));
    expect(e.creationTime).toBe(e.lastUpdateTime);
    expect(await store.getExperimentByName('exp-a')).toEqual(e);
    expect(await store.getExperimentByName('missing')).toBeNull();
    expect((await store.getExperiment('0')).name).toBe('Default');
  });

  it('refuses duplicates, empty names and unknown ids with MLflow error codes', async () => {
    expect(await code(store.createExperiment('exp-a'))).toBe('RESOURCE_ALREADY_EXISTS');
    expect(await code(store.createExperiment(''))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.createExperiment('x'.repeat(501)))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.getExperiment('424242'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(store.getExperiment('abc'))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('renames, tags, deletes (with its runs) and restores', async () => {
    const id = await store.createExperiment('to-rename');
    const run = await store.createRun(id);
    await store.renameExperiment(id, 'renamed');
    await store.setExperimentTag(id, 'k', 'v1');
    await store.setExperimentTag(id, 'k', 'v2');
    expect(await store.getExperiment(id)).toMatchObject({ name: 'renamed', tags: { k: 'v2' } });
    await store.deleteExperiment(id);
    expect((await store.getExperiment(id)).lifecycleStage).toBe('deleted');
    expect((await store.getRun(run.info.runId)).info.lifecycleStage).toBe('deleted');
    expect(await code(store.createRun(id))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.renameExperiment(id, 'again'))).toBe('INVALID_STATE');
    const listed = await store.searchExperiments({ viewType: 'DELETED_ONLY' });
    expect(listed.experiments.map((e) => e.experimentId)).toContain(id);
    await store.restoreExperiment(id);
    expect((await store.getRun(run.info.runId)).info.lifecycleStage).toBe('active');
  });

  it('searches with filters, order and pages', async () => {
    for (const n of ['p-1', 'p-2', 'p-3']) await store.createExperiment(n);
    const first = await store.searchExperiments({ filterString: "name LIKE 'p-%'", orderBy: ['name ASC'], maxResults: 2 });
    expect(first.experiments.map((e) => e.name)).toEqual(['p-1', 'p-2']);
    const second = await store.searchExperiments({ filterString: "name LIKE 'p-%'", orderBy: ['name ASC'], maxResults: 2, pageToken: first.nextPageToken });
    expect(second.experiments.map((e) => e.name)).toEqual(['p-3']);
    expect(second.nextPageToken).toBeUndefined();
  });
});

describe('runs', () => {
  it('creates with a generated adjective-noun-number name, system tags and MLflow defaults', async () => {
    const run = await store.createRun(exp);
    expect(run.info.runName).toMatch(/^[a-z]+-[a-z]+-\d{1,3}$/);
    expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.info).toMatchObject({ status: 'RUNNING', lifecycleStage: 'active', endTime: null, experimentId: exp });
    expect(run.info.artifactUri).toBe(join(dir, 'artifacts', exp, run.info.runId, 'artifacts'));
    expect(run.data.tags['mlflow.runName']).toBe(run.info.runName);
    expect(run.data.tags['mlflow.source.type']).toBe('LOCAL');
    expect(run.data.tags['mlflow.source.name']).toBeTruthy();
    expect(run.info.userId).toBe(run.data.tags['mlflow.user'] ?? 'unknown');
  });

  it('takes name, user, description and parent; refuses a name clash with the runName tag', async () => {
    const parent = await store.createRun(exp, { runName: 'parent', userId: 'ada', description: 'notes' });
    const child = await store.createRun(exp, { parentRunId: parent.info.runId, tags: { 'mlflow.source.git.commit': 'abc' } });
    expect(parent.info.userId).toBe('ada');
    expect(parent.data.tags['mlflow.note.content']).toBe('notes');
    expect(child.data.tags['mlflow.parentRunId']).toBe(parent.info.runId);
    expect(child.data.tags['mlflow.source.git.commit']).toBe('abc');
    expect(await code(store.createRun(exp, { runName: 'a', tags: { 'mlflow.runName': 'b' } }))).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(store.createRun(exp, { parentRunId: 'f'.repeat(32) }))).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('updates status, end time and name; renaming via the tag updates the run', async () => {
    const run = await store.createRun(exp, { runName: 'before' });
    const id = run.info.runId;
    await store.updateRun(id, { name: 'after' });
    expect((await store.getRun(id)).info.runName).toBe('after');
    await store.setTag(id, 'mlflow.runName', 'via-tag');
    expect((await store.getRun(id)).info.runName).toBe('via-tag');
    await store.setTerminated(id, 'KILLED', 123);
    expect((await store.getRun(id)).info).toMatchObject({ status: 'KILLED', endTime: 123 });
    expect(await code(store.updateRun(id, { status: 'DONE' as never }))).toBe('INVALID_PARAMETER_VALUE');
    await store.deleteRun(id);
    expect(await code(store.logMetric(id, 'm', 1))).toBe('INVALID_PARAMETER_VALUE');
    await store.restoreRun(id);
    await store.logMetric(id, 'm', 1);
  });
});

describe('params, tags, metrics', () => {
  it('params are immutable: same value is fine, a new value is refused in MLflow words', async () => {
    const { info } = await store.createRun(exp);
    await store.logParam(info.runId, 'lr', 1e-5);
    await store.logParam(info.runId, 'lr', '1e-05');
    await store.logParam(info.runId, 'flag', true);
    expect((await store.getRun(info.runId)).data.params).toEqual({ lr: '1e-05', flag: 'True' });
    await expect(store.logParam(info.runId, 'lr', 0.1)).rejects.toThrow(
      `Changing param values is not allowed. Param with key='lr' was already logged with value='1e-05' for run ID='${info.runId}'. Attempted logging new value '0.1'.`,
    );
  });

  it('enforces MLflow key characters and lengths; truncates over-long values like MLflow', async () => {
    const { info } = await store.createRun(exp);
    await expect(store.logParam(info.runId, 'bad*key', 'x')).rejects.toThrow(/Names may only contain alphanumerics/);
    await expect(store.logMetric(info.runId, '../up', 1)).rejects.toThrow(/must not resolve to other names/);
    await expect(store.setTag(info.runId, 'k'.repeat(251), 'x')).rejects.toThrow(/exceeds the maximum length of 250/);
    await store.logParam(info.runId, 'long', 'v'.repeat(7000));
    expect((await store.getRun(info.runId)).data.params.long).toHaveLength(6000);
    await store.logParam(info.runId, 'ok key/with: chars-_.', 'x');
  });

  it('stores NaN as 0 + is_nan and ±Inf as ±DBL_MAX, exactly as MLflow', async () => {
    const { info } = await store.createRun(exp);
    await store.logBatch(info.runId, {
      metrics: [
        { key: 'nan', value: Number.NaN, timestamp: 10, step: 0 },
        { key: 'pinf', value: Number.POSITIVE_INFINITY, timestamp: 10, step: 0 },
        { key: 'ninf', value: Number.NEGATIVE_INFINITY, timestamp: 10, step: 0 },
      ],
    });
    const rows = store.database.prepare('SELECT "key", value, is_nan FROM metrics WHERE run_uuid = ? ORDER BY "key"').all(info.runId);
    expect(rows).toEqual([
      { key: 'nan', value: 0, is_nan: 1 },
      { key: 'ninf', value: -1.7976931348623157e308, is_nan: 0 },
      { key: 'pinf', value: 1.7976931348623157e308, is_nan: 0 },
    ]);
    const data = (await store.getRun(info.runId)).data.metrics;
    expect(data.nan).toBeNaN();
    expect(data.pinf).toBe(1.7976931348623157e308);
  });

  it('latest metric: max step, then max timestamp, then max value; history keeps every point', async () => {
    const { info } = await store.createRun(exp);
    const log = (value: number, step: number, timestamp: number) => store.logMetric(info.runId, 'loss', value, { step, timestamp });
    await log(5, 2, 100);
    await log(9, 1, 500); // lower step: not latest despite newer timestamp
    expect((await store.getRun(info.runId)).data.metrics.loss).toBe(5);
    await log(4, 2, 200); // same step, newer timestamp
    expect((await store.getRun(info.runId)).data.metrics.loss).toBe(4);
    await log(3, 2, 200); // same step and timestamp, smaller value
    expect((await store.getRun(info.runId)).data.metrics.loss).toBe(4);
    await log(7, 2, 200); // same step and timestamp, larger value
    expect((await store.getRun(info.runId)).data.metrics.loss).toBe(7);
    await log(7, 2, 200); // exact duplicate: ignored
    const history = await store.getMetricHistory(info.runId, 'loss');
    expect(history.map((m) => [m.value, m.step, m.timestamp])).toEqual([
      [5, 2, 100],
      [3, 2, 200],
      [4, 2, 200],
      [7, 2, 200],
      [9, 1, 500],
    ]);
  });

  it('logBatch is all-or-nothing', async () => {
    const { info } = await store.createRun(exp);
    await store.logParam(info.runId, 'fixed', 'a');
    await expect(
      store.logBatch(info.runId, {
        metrics: [{ key: 'm', value: 1 }],
        params: [{ key: 'fresh', value: 'x' }, { key: 'fixed', value: 'b' }],
        tags: [{ key: 't', value: 'v' }],
      }),
    ).rejects.toThrow(/Changing param values is not allowed/);
    const run = await store.getRun(info.runId);
    expect(run.data.metrics).toEqual({});
    expect(run.data.params).toEqual({ fixed: 'a' });
    expect(run.data.tags.t).toBeUndefined();
    await expect(store.logBatch(info.runId, { metrics: Array.from({ length: 1001 }, (_, i) => ({ key: `m${i}`, value: i })) })).rejects.toThrow(
      /at most 1000 metrics/,
    );
  });

  it('deleteTag removes a tag and reports a missing one', async () => {
    const { info } = await store.createRun(exp);
    await store.setTag(info.runId, 'x', '1');
    await store.deleteTag(info.runId, 'x');
    expect((await store.getRun(info.runId)).data.tags.x).toBeUndefined();
    expect(await code(store.deleteTag(info.runId, 'x'))).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('searchRuns', () => {
  let searchExp: string;
  const ids: string[] = [];
  beforeAll(async () => {
    searchExp = await store.createExperiment('search');
    for (let i = 0; i < 6; i++) {
      const { info } = await store.createRun(searchExp, { runName: `s-${i}`, startTime: 1000 + i });
      ids.push(info.runId);
      await store.logBatch(info.runId, {
        metrics: i === 5 ? [] : [{ key: 'val acc', value: i / 10, step: 0, timestamp: 1 }],
        params: [{ key: 'model.size', value: i % 2 ? 'base' : 'large' }],
        tags: i < 2 ? [{ key: 'stage', value: 'dev' }] : [],
      });
    }
  });

  it('filters with backtick keys, dotted keys, LIKE/ILIKE, IN and AND', async () => {
    const find = async (filterString: string) => (await store.searchRuns([searchExp], { filterString })).runs.map((r) => r.info.runName).sort();
    expect(await find('metrics.`val acc` >= 0.3')).toEqual(['s-3', 's-4']);
    expect(await find("params.model.size = 'base' AND metrics.`val acc` < 0.2")).toEqual(['s-1']);
    expect(await find("params.\"model.size\" ILIKE 'BA%'")).toEqual(['s-1', 's-3', 's-5']);
    expect(await find("params.\"model.size\" LIKE 'BA%'")).toEqual([]);
    expect(await find(`attributes.run_id IN ('${ids[0]}', '${ids[4]}')`)).toEqual(['s-0', 's-4']);
    expect(await find(`attributes.run_id NOT IN ('${ids[0]}')`)).toHaveLength(5);
    expect(await find('tags.stage IS NULL')).toEqual(['s-2', 's-3', 's-4', 's-5']);
    expect(await find('attributes.start_time >= 1004')).toEqual(['s-4', 's-5']);
  });

  it('orders by metric (missing last) and start time, pages with tokens', async () => {
    const desc = await store.searchRuns([searchExp], { orderBy: ['metrics.`val acc` DESC'] });
    expect(desc.runs.map((r) => r.info.runName)).toEqual(['s-4', 's-3', 's-2', 's-1', 's-0', 's-5']);
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await store.searchRuns([searchExp], { orderBy: ['attributes.start_time ASC'], maxResults: 4, pageToken });
      names.push(...page.runs.map((r) => r.info.runName));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(names).toEqual(['s-0', 's-1', 's-2', 's-3', 's-4', 's-5']);
  });

  it('names the position of a bad filter and never runs user text as SQL', async () => {
    await expect(store.searchRuns([searchExp], { filterString: 'metrics.acc > 0.5 OR 1=1' })).rejects.toThrow(/position 18.*OR/);
    await expect(store.searchRuns([searchExp], { filterString: "params.x = 'a" })).rejects.toThrow(/unterminated ' quote at position 11/);
    // Hostile keys and values are bound parameters: they match nothing and change nothing.
    const hostile = [
      "params.`x' OR 1=1 --` = 'a'",
      "tags.t = 'a'' OR ''1''=''1'",
      'metrics.`"; DROP TABLE runs; --` > 0',
      "attributes.run_name LIKE '%'' ; DELETE FROM runs; --'",
    ];
    for (const filterString of hostile) expect((await store.searchRuns([searchExp], { filterString })).runs).toEqual([]);
    expect((await store.searchRuns([searchExp])).runs).toHaveLength(6);
    await expect(store.searchRuns([searchExp], { orderBy: ['metrics.a; DROP TABLE runs'] })).rejects.toThrow(/Invalid/);
    await expect(store.searchRuns([searchExp], { pageToken: 'not-a-token' })).rejects.toThrow(/Invalid page token/);
  });
});

describe('artifacts and inputs', () => {
  it('logs, lists and downloads files and directories under <root>/<exp>/<run>/artifacts', async () => {
    const { info } = await store.createRun(exp);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'inner'), { recursive: true });
    writeFileSync(join(src, 'a.txt'), 'A');
    writeFileSync(join(src, 'inner', 'b.bin'), Buffer.from([1, 2, 3]));
    await store.logArtifact(info.runId, join(src, 'a.txt'));
    await store.logArtifacts(info.runId, src, 'model');
    expect(existsSync(join(dir, 'artifacts', exp, info.runId, 'artifacts', 'model', 'inner', 'b.bin'))).toBe(true);
    expect(await store.listArtifacts(info.runId)).toEqual([
      { path: 'a.txt', isDir: false, fileSize: 1 },
      { path: 'model', isDir: true },
    ]);
    expect(await store.listArtifacts(info.runId, 'model/inner')).toEqual([{ path: 'model/inner/b.bin', isDir: false, fileSize: 3 }]);
    const local = await store.downloadArtifacts(info.runId, 'model');
    expect(readFileSync(join(local, 'inner', 'b.bin'))).toEqual(Buffer.from([1, 2, 3]));
    await expect(store.logArtifact(info.runId, join(src, 'a.txt'), '../../escape')).rejects.toThrow(/relative path inside/);
    await expect(store.downloadArtifacts(info.runId, 'nope.txt')).rejects.toThrow(/not found/);
  });

  it('logInputs stores a dataset once per experiment and links it to the run with tags', async () => {
    const a = await store.createRun(exp);
    const b = await store.createRun(exp);
    const input = {
      dataset: { name: 'sst2', digest: 'abc', sourceType: 'local', source: '{"uri": "/data"}', schema: '{}', profile: '{"num_rows": 2}' },
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
    };
    await store.logInputs(a.info.runId, [input, input]);
    await store.logInputs(b.info.runId, [input]);
    expect((await store.getRun(a.info.runId)).inputs.datasetInputs).toEqual([input]);
    const count = store.database.prepare('SELECT COUNT(*) AS n FROM datasets WHERE name = ?').get('sst2') as { n: number };
    expect(count.n).toBe(1);
  });
});

describe('model registry', () => {
  it('registers models and versions, tags them and resolves aliases', async () => {
    const { info } = await store.createRun(exp);
    const model = await store.createRegisteredModel('clf', { tags: { task: 'sst2' }, description: 'd' });
    expect(model).toMatchObject({ name: 'clf', description: 'd', tags: { task: 'sst2' }, latestVersions: [], aliases: {} });
    const v1 = await store.createModelVersion('clf', `${info.artifactUri}/model`, { runId: info.runId });
    const v2 = await store.createModelVersion('clf', `runs:/${info.runId}/model`);
    expect([v1.version, v2.version]).toEqual(['1', '2']);
    expect(v1).toMatchObject({ status: 'READY', currentStage: 'None', runId: info.runId });
    await store.setModelVersionTag('clf', '1', 'ok', 'yes');
    await store.setRegisteredModelTag('clf', 'owner', 'me');
    await store.setRegisteredModelAlias('clf', 'prod', '1');
    expect((await store.getModelVersionByAlias('clf', 'prod')).tags).toEqual({ ok: 'yes' });
    const got = await store.getRegisteredModel('clf');
    expect(got.aliases).toEqual({ prod: '1' });
    expect(got.latestVersions.map((v) => v.version)).toEqual(['2']);
    expect((await store.searchRegisteredModels({ filterString: "tags.owner = 'me'" })).registeredModels.map((m) => m.name)).toEqual(['clf']);
    await expect(store.setRegisteredModelAlias('clf', 'v3', '1')).rejects.toThrow(/v<number>/);
    await store.deleteRegisteredModelAlias('clf', 'prod');
    expect(await code(store.getModelVersionByAlias('clf', 'prod'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(store.createRegisteredModel('clf'))).toBe('RESOURCE_ALREADY_EXISTS');
    await store.deleteRegisteredModel('clf');
    expect(await code(store.getRegisteredModel('clf'))).toBe('RESOURCE_DOES_NOT_EXIST');
  });
});

describe('openStore', () => {
  it('opens sqlite URIs, honours MLFLOW_TRACKING_URI and rejects unknown schemes', async () => {
    const uri = `sqlite:///${join(dir, 'opened.db')}`;
    const opened = await openStore(uri);
    expect(opened).toBeInstanceOf(TrackingStore);
    expect(opened.trackingUri).toBe(uri);
    await opened.close();
    const saved = process.env.MLFLOW_TRACKING_URI;
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${join(dir, 'from-env.db')}`;
    try {
      const fromEnv = await openStore();
      expect(fromEnv.trackingUri).toBe(process.env.MLFLOW_TRACKING_URI);
      await fromEnv.close();
    } finally {
      if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
      else process.env.MLFLOW_TRACKING_URI = saved;
    }
    await expect(openStore('s3://bucket/x')).rejects.toThrow(/unsupported tracking URI/);
    await expect(openStore('./mlruns')).rejects.toThrow(/sqlite:\/\//);
  });

  it('a closed store says so', async () => {
    const s = new TrackingStore(`sqlite:///${join(dir, 'closing.db')}`);
    await s.close();
    await s.close();
    await expect(s.getExperiment('0')).rejects.toThrow(/closed/);
  });
});
