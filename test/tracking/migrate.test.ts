// Migrates real MLflow stores (written by MLflow 1.30.1, 2.9.2 and 3.17.2, SQLite and file stores; see
// scripts/fixtures/mlflow_stores.py) into one central database and checks it with the real MLflow client:
// every run with identical params, tags, metric histories and artifacts, as each store's own MLflow read it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MigrateReport, formatMigrateReport, migrate } from '../../src/tracking/migrate/index.js';
import {
  asSqlValue,
  copyFixtures,
  type DumpedStore,
  describeWithMlflow,
  dumpTables,
  expectedOf,
  FIXTURE_NAMES,
  storePath,
  treeDigest,
} from './migrate-helpers.js';

let dir: string;
let target: string;
let report: MigrateReport;
let central: DumpedStore;
let sourcesBefore: Record<string, string>;

beforeAll(async () => {
  dir = copyFixtures();
  target = join(dir, 'central', 'mlflow.db');
  sourcesBefore = treeDigest(join(dir, 'sources'));
  // Oldest first, so "first source wins" for conflicting tags is the 1.30.1 file store.
  report = await migrate({ sources: FIXTURE_NAMES.map((n) => storePath(join(dir, 'sources'), n)), into: target });
  central = await describeWithMlflow(`sqlite:///${target}`);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migrate: MLflow 1.30.1 / 2.9.2 / 3.17.2 stores into one database', () => {
  it('migrates every source, verifies it, and leaves an intact target', () => {
    expect(FIXTURE_NAMES).toEqual(['1.30.1-file', '1.30.1-sqlite', '2.9.2-file', '2.9.2-sqlite', '3.17.2-file', '3.17.2-sqlite']);
    expect(report.sources.map((s) => [s.status, s.error])).toEqual(FIXTURE_NAMES.map(() => ['migrated', undefined]));
    for (const s of report.sources) {
      expect(s.verification, s.source).toEqual({ ok: true, mismatches: [] });
      expect(s.added.runs).toBe(s.found.runs);
      expect(s.added.metricRows).toBe(s.found.metricRows);
      expect(s.added.artifactFiles).toBe(s.found.artifactFiles);
      expect(s.found.artifactFiles).toBeGreaterThan(0);
    }
    expect(report.sources.map((s) => s.schemaRevision)).toEqual([undefined, '97727af70f4d', undefined, 'acf3f17fdcc7', undefined, 'dc11669786a5']);
    expect(report.integrity).toBe('ok');
    expect(report.ok).toBe(true);
    expect(formatMigrateReport(report)).toContain('6 of 6 sources migrated');
  });

  it('never modifies a source: every file is byte-identical afterwards', () => {
    expect(treeDigest(join(dir, 'sources'))).toEqual(sourcesBefore);
  });

  it.each(FIXTURE_NAMES)('%s: the MLflow client sees every run exactly as the source MLflow did', (name) => {
    const expected = expectedOf(name);
    const byId = new Map(central.runs.map((r) => [r.runId, r]));
    expect(expected.runs.length).toBe(6);
    for (const run of expected.runs) {
      const got = byId.get(run.runId);
      expect(got, `run ${run.runId}`).toBeDefined();
      if (!got) continue;
      const label = `${name} run ${run.tags['mlflow.runName']}`;
      expect(got.experiment, label).toBe(run.experiment);
      expect([got.status, got.lifecycleStage, got.startTime, got.endTime, got.userId], label).toEqual([
        run.status,
        run.lifecycleStage,
        run.startTime,
        run.endTime,
        run.userId,
      ]);
      expect(got.params, label).toEqual(run.params);
      expect(got.tags, label).toEqual(run.tags);
      expect(got.metrics, label).toEqual(Object.fromEntries(Object.entries(run.metrics).map(([k, v]) => [k, asSqlValue(v)])));
      const history = Object.fromEntries(Object.entries(run.history).map(([k, pts]) => [k, pts.map(([s, t, v]) => [s, t, asSqlValue(v)])]));
      expect(got.history, label).toEqual(history);
      expect(got.datasets, label).toEqual(run.datasets);
      expect(got.artifacts, label).toEqual(run.artifacts);
    }
    // The cases the fixtures were built to hold are really there.
    const parent = expected.runs.find((r) => r.tags['mlflow.runName']?.startsWith('parent-'));
    expect(parent?.history.loss.some(([, , v]) => v === 'NaN')).toBe(true);
    expect(expected.runs.filter((r) => r.tags['mlflow.parentRunId'] === parent?.runId)).toHaveLength(2);
    expect(expected.runs.some((r) => r.lifecycleStage === 'deleted')).toBe(true);
  });

  it.each(FIXTURE_NAMES)('%s: experiments keep their names, lifecycle and tags (first source wins a conflict)', (name) => {
    const expected = expectedOf(name);
    const byName = new Map(central.experiments.map((e) => [e.name, e]));
    for (const exp of expected.experiments) {
      const got = byName.get(exp.name);
      expect(got, exp.name).toBeDefined();
      if (exp.name === 'shared-experiment') {
        expect(got?.tags).toEqual({ team: 'nlp', owner: '1_30_1-file' });
        const r = report.sources.find((s) => s.source.includes(`/${name}/`));
        if (name !== '1.30.1-file') expect(r?.conflicts.some((c) => c.includes('tag owner'))).toBe(true);
      } else {
        expect([got?.lifecycleStage, got?.tags], exp.name).toEqual([exp.lifecycleStage, exp.tags]);
      }
    }
  });

  it.each(FIXTURE_NAMES)('%s: registered models and versions are carried, sources point at the central artifacts', (name) => {
    const expected = expectedOf(name);
    if (!Array.isArray(expected.registeredModels)) {
      expect(name).toBe('1.30.1-file'); // MLflow 1.x had no file-store registry
      return;
    }
    if (!Array.isArray(central.registeredModels)) throw new Error('central store has no registry');
    const artifactRoot = join(dir, 'central', 'artifacts');
    for (const model of expected.registeredModels) {
      const got = central.registeredModels.find((m) => m.name === model.name);
      expect(got, model.name).toBeDefined();
      if (!got) continue;
      for (const v of model.versions) {
        const match = got.versions.find((g) => g.runId === v.runId && g.creationTime === v.creationTime);
        expect(match, `${model.name} version of run ${v.runId}`).toBeDefined();
        expect([match?.stage, match?.description, match?.tags]).toEqual([v.stage, v.description, v.tags]);
        expect(match?.source.startsWith(artifactRoot)).toBe(true);
        expect(match?.source.endsWith('/artifacts/model')).toBe(true);
      }
      if (model.name.startsWith('model-')) {
        expect([got.description, got.tags, got.aliases]).toEqual([model.description, model.tags, model.aliases]);
      }
    }
  });

  it('backs up every source and writes a manifest', () => {
    const manifest = JSON.parse(readFileSync(join(report.backupDir as string, 'manifest.json'), 'utf8')) as {
      entries: { kind: string; original: string; copy: string; sha256: Record<string, string> }[];
    };
    expect(manifest.entries.map((e) => e.kind)).toEqual(FIXTURE_NAMES.map((n) => (n.endsWith('sqlite') ? 'sqlite' : 'file')));
    for (const e of manifest.entries) {
      expect(existsSync(e.copy)).toBe(true);
      if (e.kind === 'file') expect(e.sha256).toEqual(treeDigest(e.original));
      else expect(dumpTables(e.copy)).toEqual(dumpTables(e.original));
    }
    expect(report.targetBackup).toBeUndefined(); // the target was new
  });

  it('a second migration changes nothing', async () => {
    const before = dumpTables(target);
    const artifactsBefore = treeDigest(join(dir, 'central', 'artifacts'));
    const again = await migrate({ sources: FIXTURE_NAMES.map((n) => storePath(join(dir, 'sources'), n)), into: target });
    expect(again.sources.map((s) => s.status)).toEqual(FIXTURE_NAMES.map(() => 'unchanged'));
    for (const s of again.sources) {
      expect(Object.values(s.added).every((n) => n === 0), s.source).toBe(true);
      expect(s.runsSkipped).toBe(s.found.runs);
      expect(s.verification?.ok).toBe(true);
    }
    expect(dumpTables(target)).toEqual(before);
    expect(treeDigest(join(dir, 'central', 'artifacts'))).toEqual(artifactsBefore);
    expect(again.ok).toBe(true);
    // This time the target existed, so it was backed up first, consistently.
    expect(again.targetBackup && dumpTables(again.targetBackup)).toEqual(before);
    const db = new Database(target, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
