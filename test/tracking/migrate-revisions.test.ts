// One store at every schema revision of MLflow's migration chain (built by MLflow's own schema code and
// alembic migrations, see scripts/fixtures/mlflow_stores_revisions.py), all migrated into one central
// database, then read back by the pinned MLflow client: each revision's columns and tables are handled.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MigrateReport, migrate } from '../../src/tracking/migrate/index.js';
import { MLFLOW_REVISIONS } from '../../src/tracking/sqlite/mlflow-schema.js';
import { type DumpedRun, type DumpedStore, describeWithMlflow } from './migrate-helpers.js';
import { mlflowEnv, testPython } from './mlflow-python.js';

interface RevisionStore extends DumpedStore {
  revision: string;
  file: string;
  runs: DumpedRun[];
}

let dir: string;
let stores: RevisionStore[];
let report: MigrateReport;
let central: DumpedStore;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlxt-migrate-revs-'));
  await new Promise<void>((done, fail) =>
    execFile(testPython(), [resolve('scripts/fixtures/mlflow_stores_revisions.py'), join(dir, 'stores')], { env: mlflowEnv(), timeout: 280_000 }, (err, _o, e) =>
      err ? fail(new Error(`${err.message}\n${e.slice(-3000)}`)) : done(),
    ),
  );
  stores = JSON.parse(readFileSync(join(dir, 'stores', 'expected.json'), 'utf8')) as RevisionStore[];
  // The folder is scanned: every store is recognised by its tables, whatever its revision.
  report = await migrate({ sources: [join(dir, 'stores')], into: join(dir, 'central', 'mlflow.db') });
  central = await describeWithMlflow(`sqlite:///${join(dir, 'central', 'mlflow.db')}`);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migrate: every MLflow schema revision', () => {
  it('covers the pre-alembic schema and every revision up to the pinned head', () => {
    expect(stores.map((s) => s.revision)).toEqual(['(none)', ...MLFLOW_REVISIONS]);
    expect(report.sources.map((s) => [s.schemaRevision, s.status, s.verification?.ok])).toEqual(
      stores.map((s) => [s.revision, 'migrated', true]),
    );
    expect(report.integrity).toBe('ok');
  });

  it('the MLflow client reads each revision’s runs, metrics (NaN where the revision can hold it), tags and datasets', () => {
    const byId = new Map(central.runs.map((r) => [r.runId, r]));
    for (const store of stores) {
      for (const run of store.runs) {
        const got = byId.get(run.runId);
        expect(got, `${store.revision} run ${run.runId}`).toBeDefined();
        const { artifacts: _a, ...want } = run;
        const { artifacts: _b, ...have } = got as DumpedRun;
        expect(have, store.revision).toEqual(want);
      }
    }
  });

  it('experiments and the model registry (from the revision that added it) come across', () => {
    const experiments = new Map(central.experiments.map((e) => [e.name, e]));
    if (!Array.isArray(central.registeredModels)) throw new Error('no registry in the central store');
    const models = new Map(central.registeredModels.map((m) => [m.name, m]));
    let withRegistry = 0;
    for (const store of stores) {
      for (const exp of store.experiments) expect(experiments.get(exp.name), store.revision).toEqual(exp);
      if (!Array.isArray(store.registeredModels)) continue;
      for (const model of store.registeredModels) {
        withRegistry++;
        const got = models.get(model.name);
        expect([got?.description, got?.tags, got?.aliases], store.revision).toEqual([model.description, model.tags, model.aliases]);
        const [v] = model.versions;
        expect(got?.versions.map(({ source: _s, ...rest }) => rest), store.revision).toEqual([v]);
        expect(got?.versions[0].source).toMatch(new RegExp(`/${v.runId}/artifacts/model$`));
      }
    }
    expect(withRegistry).toBeGreaterThan(50);
  });
});
