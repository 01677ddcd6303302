// Proof against the real MLflow (pinned in scripts/requirements-test.txt), both directions:
//  - a store mlx-train writes is read by MlflowClient exactly as mlx-train reads it (and MLflow's own
//    search/filter parser agrees with ours on the same file);
//  - a store MlflowClient writes is read by mlx-train exactly as MLflow reads it.
// The two Python processes start together in beforeAll (MLflow imports are slow).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/index.js';
import type { Run } from '../../src/tracking/index.js';
import { parseFilter } from '../../src/tracking/search/filter.js';
import { MLFLOW_SCHEMA_REVISION } from '../../src/tracking/sqlite/mlflow-schema.js';
import { runMlflowScript } from './mlflow-python.js';

interface ReadResult {
  schemaBefore: { objects: unknown[]; revision: string[] };
  schemaAfter: { objects: unknown[]; revision: string[] };
  experiments: Record<string, unknown>;
  runs: Record<string, Run>;
  histories: Record<string, unknown[]>;
  artifacts: Record<string, Record<string, { size: number; text: string }>>;
  models: Record<string, unknown>;
  versions: Record<string, unknown>;
  aliases: Record<string, unknown>;
  searches: { ok?: string[][]; error?: string }[];
  experimentSearches: { ok?: string[]; error?: string }[];
  modelSearches: { ok?: string[]; error?: string }[];
  filters: { ok?: { type: string; key: string; comparator: string; value: unknown }[]; error?: string }[];
  errors: { ok?: unknown; error?: string }[];
}

interface WriteResult {
  experimentId: string;
  runIds: string[];
  experiment: unknown;
  defaultExperiment: unknown;
  runs: Record<string, Run>;
  histories: Record<string, unknown[]>;
  artifacts: Record<string, { size: number; text: string }>;
  model: unknown;
  versions: Record<string, unknown>;
  champion: unknown;
}

const T0 = 1_750_000_000_000;
let ours: string;
let theirs: string;
let store: TrackingStore;
let read: ReadResult;
let written: WriteResult;
const ids: Record<string, string> = {};
const runIds: string[] = [];

const SEARCHES = [
  { filter: '' },
  { filter: 'metrics.acc > 0.5' },
  { filter: 'metrics.acc >= 0.6 AND metrics.acc < 0.9' },
  { filter: 'metrics.acc != 0.7' },
  { filter: "params.lr = '0.001'" },
  { filter: "params.lr != '0.001'" },
  { filter: "params.optimizer LIKE 'adam%'" },
  { filter: "params.optimizer ILIKE 'ADAM%'" },
  { filter: "params.optimizer LIKE 'ADAM%'" },
  { filter: "tags.team = 'nlp'" },
  { filter: 'tags.team IS NULL' },
  { filter: 'params.seed IS NOT NULL' },
  { filter: "tags.`mlflow.runName` LIKE 'run-%'" },
  { filter: "tags.mlflow.runName = 'run-2'" },
  { filter: 'metrics.`val loss` <= 0.4' },
  { filter: `attributes.start_time > ${T0 + 2}` },
  { filter: `attributes.run_name = 'run-3'` },
  { filter: "attributes.status = 'FINISHED'" },
  { filter: "attributes.status != 'FINISHED'" },
  { filter: "run_name ILIKE 'RUN-%'" },
  { filter: "datasets.name = 'sst2'" },
  { filter: "datasets.context = 'training'" },
  { filter: "datasets.digest IN ('d1', 'zz')" },
  { filter: "tags.team = 'nlp' AND metrics.acc > 0.1 AND params.lr = '0.001'" },
  { filter: '', orderBy: ['metrics.acc DESC'] },
  { filter: '', orderBy: ['metrics.acc ASC'] },
  { filter: '', orderBy: ['params.lr DESC', 'attributes.start_time ASC'] },
  { filter: '', orderBy: ['tags.team'] },
  { filter: '', orderBy: ['attributes.end_time DESC'] },
  { filter: '', orderBy: ['metrics.`val loss`'] },
  { filter: '', orderBy: ['attributes.run_name'] },
  { filter: '', maxResults: 2 },
  { filter: '', maxResults: 3, orderBy: ['metrics.acc DESC'] },
  { filter: '', viewType: 'DELETED_ONLY' },
  { filter: '', viewType: 'ALL', maxResults: 4 },
];

const BAD_FILTERS = [
  'metrics.acc > 0.5 OR metrics.acc < 0.1',
  "metrics.acc = 'high'",
  'params.lr > 1',
  'foo.bar = 1',
  'metrics.acc ==',
  "attributes.nope = 'x'",
  "tags.team = 'nlp",
];

const GOOD_FILTERS = [
  "metrics.`val loss` < 0.5 and params.lr = '0.1'",
  'tags."a.b" LIKE \'x%\'',
  "attributes.run_id IN ('a', 'b')",
  "attributes.run_id NOT IN ('a')",
  'tags.t IS NULL AND params.p IS NOT NULL',
  'metrics.x > -1e-3',
  "datasets.context = 'training'",
  "tags.mlflow.runName ILIKE '%a%'",
];

/** The same failing call through MlflowClient (python) and our store (ts): the messages must be identical. */
function errorCases(): { python: unknown[]; ts: () => Promise<unknown> }[] {
  const run = runIds[0];
  return [
    { python: ['log_param', run, 'lr', '0.5'], ts: () => store.logParam(run, 'lr', '0.5') },
    { python: ['log_param', run, 'bad key!', 'x'], ts: () => store.logParam(run, 'bad key!', 'x') },
    { python: ['log_param', run, 'a/../b', 'x'], ts: () => store.logParam(run, 'a/../b', 'x') },
    { python: ['log_param', run, 'k'.repeat(251), 'x'], ts: () => store.logParam(run, 'k'.repeat(251), 'x') },
    { python: ['log_metric', run, '/abs', 1.0], ts: () => store.logMetric(run, '/abs', 1) },
    { python: ['set_tag', run, 'dir/', 'x'], ts: () => store.setTag(run, 'dir/', 'x') },
    {
      python: ['log_batch_params', run, [['lr', '0.2'], ['optimizer', 'lion']]],
      ts: () => store.logBatch(run, { params: [{ key: 'lr', value: '0.2' }, { key: 'optimizer', value: 'lion' }] }),
    },
    {
      python: ['log_batch_params', run, [['new', '1'], ['new', '2']]],
      ts: () => store.logBatch(run, { params: [{ key: 'new', value: '1' }, { key: 'new', value: '2' }] }),
    },
    { python: ['get_run', 'f'.repeat(32)], ts: () => store.getRun('f'.repeat(32)) },
    { python: ['delete_tag', run, 'no-such-tag'], ts: () => store.deleteTag(run, 'no-such-tag') },
    { python: ['get_experiment', '999'], ts: () => store.getExperiment('999') },
    { python: ['get_registered_model', 'nope'], ts: () => store.getRegisteredModel('nope') },
    { python: ['log_param', runIds[5], 'x', '1'], ts: () => store.logParam(runIds[5], 'x', '1') },
  ];
}

async function writeOurStore(): Promise<void> {
  store = new TrackingStore(`sqlite:///${join(ours, 'mlflow.db')}`);
  ids.bert = await store.createExperiment('bert', { tags: { team: 'nlp', 'mlflow.note.content': 'BERT runs' } });
  ids.other = await store.createExperiment('other', { artifactLocation: join(ours, 'custom-artifacts') });
  ids.gone = await store.createExperiment('to-delete');
  await store.deleteExperiment(ids.gone);
  await store.renameExperiment(ids.other, 'other-renamed');
  await store.setExperimentTag(ids.other, 'k', 'v');
  const accs = [0.4, 0.7, 0.9, Number.NaN, 0.6];
  for (let i = 0; i < 5; i++) {
    const run = await store.createRun(ids.bert, {
      runName: `run-${i}`,
      startTime: T0 + i,
      tags: i % 2 === 0 ? { team: 'nlp' } : {},
      parentRunId: i === 4 ? runIds[0] : undefined,
      description: i === 0 ? '**parent** run' : undefined,
    });
    const id = run.info.runId;
    runIds.push(id);
    await store.logBatch(id, {
      params: [
        { key: 'lr', value: i < 3 ? 0.001 : 0.0001 },
        { key: 'optimizer', value: i % 2 ? 'sgd' : 'adamw' },
        ...(i === 2 ? [{ key: 'seed', value: 7 }] : []),
      ],
      metrics: [
        { key: 'acc', value: accs[i], timestamp: T0 + 100, step: 1 },
        { key: 'val loss', value: 1 - i * 0.2, timestamp: T0 + 100, step: 1 },
      ],
      tags: [{ key: 'fold', value: String(i) }],
    });
    if (i < 3) await store.setTerminated(id, i === 1 ? 'FAILED' : 'FINISHED', T0 + 1000 + i);
  }
  const main = runIds[0];
  // Full history with NaN, ±Inf, repeated steps and a duplicate point (skipped like MLflow does).
  const history = [
    { value: 2.5, step: 0, timestamp: T0 + 1 },
    { value: Number.NaN, step: 1, timestamp: T0 + 2 },
    { value: Number.POSITIVE_INFINITY, step: 2, timestamp: T0 + 3 },
    { value: Number.NEGATIVE_INFINITY, step: 3, timestamp: T0 + 4 },
    { value: 1.25, step: 3, timestamp: T0 + 4 },
    { value: 1.25, step: 3, timestamp: T0 + 4 },
    { value: 0.5, step: 4, timestamp: T0 + 5 },
    { value: 9, step: 2, timestamp: T0 + 9 },
  ];
  for (const m of history) await store.logMetric(main, 'train/loss', m.value, { step: m.step, timestamp: m.timestamp });
  await store.logMetric(main, 'inf_last', Number.POSITIVE_INFINITY, { step: 5, timestamp: T0 });
  await store.logMetric(main, 'nan_last', Number.NaN, { step: 5, timestamp: T0 });
  await store.setTag(main, 'mlflow.source.git.commit', 'a'.repeat(40));
  await store.setTag(main, 'to-remove', 'x');
  await store.deleteTag(main, 'to-remove');
  await store.updateRun(runIds[2], { name: 'run-2' });
  await store.logInputs(main, [
    {
      dataset: { name: 'sst2', digest: 'd1', sourceType: 'local', source: '{"uri": "file:///data/sst2.csv"}', schema: '{"mlflow_colspec": []}', profile: '{"num_rows": 3}' },
      tags: [{ key: 'mlflow.data.context', value: 'training' }],
    },
  ]);
  const src = join(ours, 'to-log');
  mkdirSync(join(src, 'nested'), { recursive: true });
  writeFileSync(join(src, 'config.yaml'), 'lr: 0.001\n');
  writeFileSync(join(src, 'nested', 'weights.txt'), 'pretend weights\n');
  await store.logArtifact(main, join(src, 'config.yaml'));
  await store.logArtifacts(main, src, 'model');
  const deleted = await store.createRun(ids.bert, { runName: 'deleted-run', startTime: T0 + 50 });
  await store.deleteRun(deleted.info.runId);
  runIds.push(deleted.info.runId);
  await store.createRegisteredModel('bert-sst2', { tags: { task: 'sentiment' }, description: 'BERT fine-tuned on SST-2' });
  await store.createModelVersion('bert-sst2', `${(await store.getRun(main)).info.artifactUri}/model`, { runId: main, tags: { fold: '0' } });
  await store.createModelVersion('bert-sst2', `runs:/${runIds[1]}/model`, { runId: runIds[1], description: 'second' });
  await store.setRegisteredModelTag('bert-sst2', 'owner', 'mlx-train');
  await store.setModelVersionTag('bert-sst2', '2', 'validated', 'true');
  await store.setRegisteredModelAlias('bert-sst2', 'champion', '2');
  await store.setRegisteredModelAlias('bert-sst2', 'baseline', '1');
  await store.createRegisteredModel('another');
}

beforeAll(async () => {
  ours = mkdtempSync(join(tmpdir(), 'mlxt-interop-ours-'));
  theirs = mkdtempSync(join(tmpdir(), 'mlxt-interop-theirs-'));
  const writing = runMlflowScript<WriteResult>('write_store.py', [theirs]);
  await writeOurStore();
  const request = {
    db: join(ours, 'mlflow.db'),
    experiments: ['0', ids.bert, ids.other, ids.gone],
    runs: runIds,
    histories: [
      [runIds[0], 'train/loss'],
      [runIds[0], 'inf_last'],
      [runIds[0], 'nan_last'],
      [runIds[1], 'acc'],
    ],
    artifactRuns: [runIds[0]],
    models: ['bert-sst2', 'another'],
    versions: [
      ['bert-sst2', '1'],
      ['bert-sst2', '2'],
    ],
    aliases: [
      ['bert-sst2', 'champion'],
      ['bert-sst2', 'baseline'],
    ],
    searches: SEARCHES.map((s) => ({ experimentIds: [ids.bert], ...s })),
    experimentSearches: [{}, { viewType: 'ALL' }, { filter: "name LIKE 'other%'" }, { filter: "tags.team = 'nlp'" }, { orderBy: ['name DESC'] }],
    modelSearches: [{}, { filter: "name LIKE 'bert%'" }, { filter: "tags.task = 'sentiment'" }],
    filters: [...GOOD_FILTERS, ...BAD_FILTERS],
    errors: errorCases().map((c) => c.python),
  };
  writeFileSync(join(ours, 'request.json'), JSON.stringify(request));
  [read, written] = await Promise.all([runMlflowScript<ReadResult>('read_store.py', [join(ours, 'request.json')]), writing]);
}, 300_000);

afterAll(async () => {
  await store?.close();
  rmSync(ours, { recursive: true, force: true });
  rmSync(theirs, { recursive: true, force: true });
});

describe('MLflow reads the store mlx-train writes', () => {
  it('opens it as is: no migration, no schema change, same revision', () => {
    expect(read.schemaBefore.revision).toEqual([MLFLOW_SCHEMA_REVISION]);
    expect(read.schemaAfter).toEqual(read.schemaBefore);
  });

  it('sees the same experiments (incl. Default, renamed, tagged, deleted)', async () => {
    for (const id of ['0', ids.bert, ids.other, ids.gone]) {
      expect(read.experiments[id], `experiment ${id}`).toEqual(await store.getExperiment(id));
    }
    expect((read.experiments[ids.gone] as { lifecycleStage: string }).lifecycleStage).toBe('deleted');
  });

  it('sees the same runs: info, params, latest metrics (NaN, ±Inf), tags, datasets', async () => {
    for (const id of runIds) expect(read.runs[id], `run ${id}`).toEqual(await store.getRun(id));
    const main = read.runs[runIds[0]];
    expect(main.data.tags['mlflow.note.content']).toBe('**parent** run');
    expect(read.runs[runIds[4]].data.tags['mlflow.parentRunId']).toBe(runIds[0]);
    expect(main.data.metrics.nan_last).toBeNaN();
    expect(main.data.metrics.inf_last).toBe(1.7976931348623157e308);
    expect(main.inputs.datasetInputs[0].dataset.digest).toBe('d1');
  });

  it('sees the same full metric histories', async () => {
    for (const [key, history] of Object.entries(read.histories)) {
      const [runId, ...rest] = key.split('/');
      expect(history, key).toEqual(await store.getMetricHistory(runId, rest.join('/')));
    }
    // 8 points logged, one exact duplicate skipped.
    expect(read.histories[`${runIds[0]}/train/loss`]).toHaveLength(7);
  });

  it('sees the same artifacts', async () => {
    const listing = read.artifacts[runIds[0]];
    expect(Object.keys(listing).sort()).toEqual(['config.yaml', 'model/config.yaml', 'model/nested/weights.txt']);
    for (const [path, { size, text }] of Object.entries(listing)) {
      const local = await store.downloadArtifacts(runIds[0], path, mkdtempSync(join(ours, 'dl-')));
      expect(readFileSync(local, 'utf8'), path).toBe(text);
      expect(size).toBe(Buffer.byteLength(text));
    }
  });

  it('sees the same registered models, versions and aliases', async () => {
    expect(read.models['bert-sst2']).toEqual(await store.getRegisteredModel('bert-sst2'));
    expect(read.models.another).toEqual(await store.getRegisteredModel('another'));
    expect(read.versions['bert-sst2/1']).toEqual(await store.getModelVersion('bert-sst2', '1'));
    expect(read.versions['bert-sst2/2']).toEqual(await store.getModelVersion('bert-sst2', '2'));
    expect(read.aliases['bert-sst2/champion']).toEqual(await store.getModelVersionByAlias('bert-sst2', 'champion'));
    expect(read.aliases['bert-sst2/baseline']).toEqual(await store.getModelVersionByAlias('bert-sst2', 'baseline'));
  });

  it('searchRuns returns the same runs, order and pages as MLflow on the same file', async () => {
    for (const [i, s] of SEARCHES.entries()) {
      const expected = read.searches[i];
      expect(expected.error, `MLflow failed on ${JSON.stringify(s)}`).toBeUndefined();
      const pages: string[][] = [];
      let pageToken: string | undefined;
      do {
        const res = await store.searchRuns([ids.bert], {
          filterString: s.filter,
          orderBy: s.orderBy,
          maxResults: s.maxResults,
          runViewType: s.viewType as 'ALL' | undefined,
          pageToken,
        });
        pages.push(res.runs.map((r) => r.info.runId));
        pageToken = res.nextPageToken;
      } while (pageToken);
      expect(pages, JSON.stringify(s)).toEqual(expected.ok);
    }
  });

  it('searchExperiments and searchRegisteredModels agree with MLflow', async () => {
    const specs = [{}, { viewType: 'ALL' as const }, { filterString: "name LIKE 'other%'" }, { filterString: "tags.team = 'nlp'" }, { orderBy: ['name DESC'] }];
    for (const [i, s] of specs.entries()) {
      const res = await store.searchExperiments(s);
      expect(res.experiments.map((e) => e.experimentId), JSON.stringify(s)).toEqual(read.experimentSearches[i].ok);
    }
    const modelSpecs = [{}, { filterString: "name LIKE 'bert%'" }, { filterString: "tags.task = 'sentiment'" }];
    for (const [i, s] of modelSpecs.entries()) {
      const res = await store.searchRegisteredModels(s);
      expect(res.registeredModels.map((m) => m.name), JSON.stringify(s)).toEqual(read.modelSearches[i].ok);
    }
  });

  it('rejects bad calls with the same error text as MLflow', async () => {
    const cases = errorCases();
    for (const [i, c] of cases.entries()) {
      const expected = read.errors[i].error;
      expect(expected, `MLflow accepted ${JSON.stringify(c.python)}`).toBeDefined();
      // MLflow's Python client appends a Python tutorial after a blank line to some messages; the
      // message itself must match word for word.
      const message = (expected as string).split('\n\n')[0];
      let ours = '';
      await c.ts().catch((err: Error) => {
        ours = err.message;
      });
      expect(ours, JSON.stringify(c.python).slice(0, 120)).toBe(message);
    }
  });

  it('our filter parser builds the same clauses as MLflow and rejects what MLflow rejects', () => {
    GOOD_FILTERS.forEach((f, i) => {
      const theirs = read.filters[i].ok;
      expect(theirs, f).toBeDefined();
      const mine = parseFilter(f).map(({ type, key, comparator, value }) => ({
        type,
        key,
        comparator,
        value: typeof value === 'number' ? value : value,
      }));
      const normalised = theirs?.map((c) => ({ ...c, value: c.type === 'metric' ? Number(c.value) : c.value }));
      expect(mine, f).toEqual(normalised);
    });
    BAD_FILTERS.forEach((f, j) => {
      expect(read.filters[GOOD_FILTERS.length + j].error, f).toBeDefined();
      expect(() => parseFilter(f), f).toThrow(/Invalid filter .* at position \d+/);
    });
  });
});

describe('mlx-train reads the store MLflow writes', () => {
  let theirStore: TrackingStore;
  beforeAll(() => {
    theirStore = new TrackingStore(`sqlite:///${join(theirs, 'mlflow.db')}`);
  });
  afterAll(async () => theirStore?.close());

  it('experiments, runs (nested, NaN/±Inf, deleted), histories match MLflow', async () => {
    expect(await theirStore.getExperiment(written.experimentId)).toEqual(written.experiment);
    expect(await theirStore.getExperiment('0')).toEqual(written.defaultExperiment);
    for (const id of written.runIds) expect(await theirStore.getRun(id), `run ${id}`).toEqual(written.runs[id]);
    for (const [key, history] of Object.entries(written.histories)) {
      const [runId, ...rest] = key.split('/');
      expect(await theirStore.getMetricHistory(runId, rest.join('/')), key).toEqual(history);
    }
  });

  it('artifacts and registry match MLflow', async () => {
    const [pid, cid] = written.runIds;
    const top = await theirStore.listArtifacts(pid);
    expect(top.map((f) => f.path)).toEqual(['bundle', 'config.yaml']);
    const bundle = await theirStore.listArtifacts(pid, 'bundle');
    expect(bundle.map((f) => f.path)).toEqual(['bundle/config.yaml', 'bundle/sub']);
    for (const [path, { text }] of Object.entries(written.artifacts)) {
      expect(readFileSync(await theirStore.downloadArtifacts(pid, path), 'utf8'), path).toBe(text);
    }
    expect(await theirStore.getRegisteredModel('py-model')).toEqual(written.model);
    for (const v of ['1', '2']) expect(await theirStore.getModelVersion('py-model', v)).toEqual(written.versions[v]);
    expect(await theirStore.getModelVersionByAlias('py-model', 'champion')).toEqual(written.champion);
    // And we can keep logging into MLflow's file.
    await theirStore.logMetric(cid, 'val/loss', 0.1, { step: 3 });
    expect((await theirStore.getRun(cid)).data.metrics['val/loss']).toBe(0.1);
  });
});
