// Migration safety: dry runs write nothing, bad sources are reported with their reason without stopping
// the others, a clashing source is rolled back whole, discovery goes by content, and a source held open by
// another writer is still backed up and read consistently.
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverSources, migrate } from '../../src/tracking/migrate/index.js';
import { copyFixtures, dumpTables, storePath, treeDigest } from './migrate-helpers.js';

let dir: string;
const src = (name: string): string => storePath(join(dir, 'sources'), name);

beforeAll(() => {
  dir = copyFixtures();
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('migrate --dry-run', () => {
  it('plans exactly what the real migration then does, and writes nothing', async () => {
    const target = join(dir, 'dry', 'mlflow.db');
    const sources = [src('1.30.1-sqlite'), src('2.9.2-file'), src('3.17.2-sqlite')];
    const plan = await migrate({ sources, into: target, dryRun: true });
    expect(plan.dryRun).toBe(true);
    expect(plan.sources.map((s) => s.status)).toEqual(['planned', 'planned', 'planned']);
    expect(existsSync(join(dir, 'dry'))).toBe(false); // no database, no artifacts, no backups
    const real = await migrate({ sources, into: target });
    expect(real.sources.map((s) => s.added)).toEqual(plan.sources.map((s) => s.added));
    expect(real.sources.map((s) => s.conflicts)).toEqual(plan.sources.map((s) => s.conflicts));

    // Against an existing target: every file stays byte-identical and the plan says nothing is left to add.
    // (Reading a WAL-mode database may create its empty -wal/-shm companions; they hold no data.)
    const before = treeDigest(join(dir, 'dry'));
    const again = await migrate({ sources, into: target, dryRun: true });
    expect(again.sources.every((s) => Object.values(s.added).every((n) => n === 0))).toBe(true);
    const after = treeDigest(join(dir, 'dry'));
    for (const [file, sum] of Object.entries(before)) expect(after[file], file).toBe(sum);
    expect(Object.keys(after).filter((f) => !(f in before)).every((f) => /mlflow\.db-(wal|shm)$/.test(f))).toBe(true);
  });
});

describe('bad sources', () => {
  it('reports each with a clear reason, migrates the good ones, writes nothing of the bad', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad, { recursive: true });
    const corrupt = join(bad, 'corrupt.db');
    writeFileSync(corrupt, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4000, 0xab)]));
    const text = join(bad, 'notes.db');
    writeFileSync(text, 'not a database\n');
    const foreign = join(bad, 'foreign.db');
    const f = new Database(foreign);
    f.exec('CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)');
    f.close();
    const future = join(bad, 'future.db');
    copyFileSync(src('3.17.2-sqlite'), future);
    const fu = new Database(future);
    fu.prepare('UPDATE alembic_version SET version_num = ?').run('ffff00000000');
    fu.close();
    const brokenStore = join(bad, 'broken', 'mlruns');
    cpSync(src('2.9.2-file'), brokenStore, { recursive: true });
    const shared = readdirSync(brokenStore).find((n) => /^\d+$/.test(n) && n !== '0' && readdirSync(join(brokenStore, n)).length > 3) as string;
    const runDir = readdirSync(join(brokenStore, shared)).find((n) => /^[0-9a-f]{32}$/.test(n)) as string;
    writeFileSync(join(brokenStore, shared, runDir, 'meta.yaml'), 'run_id: [unclosed\n');
    const missing = join(bad, 'nowhere.db');

    const target = join(dir, 'bad-target', 'mlflow.db');
    const report = await migrate({ sources: [corrupt, text, foreign, future, brokenStore, missing, src('1.30.1-sqlite')], into: target });
    const reason = (p: string): string | undefined => report.sources.find((s) => s.source === p)?.error;
    expect(reason(corrupt)).toMatch(/corrupt\.db: (cannot be (opened|read)|not an MLflow store).*(malformed|not a database)/);
    expect(reason(text)).toContain('notes.db: not a SQLite database');
    expect(reason(foreign)).toContain('foreign.db: not an MLflow store (no experiments/runs tables; tables: songs)');
    expect(reason(future)).toContain("unknown MLflow schema revision 'ffff00000000'");
    expect(reason(brokenStore)).toMatch(new RegExp(`${runDir}/meta\\.yaml: not valid YAML`));
    expect(reason(missing)).toContain('nowhere.db: does not exist');
    const good = report.sources.find((s) => s.source === src('1.30.1-sqlite'));
    expect([good?.status, good?.verification?.ok]).toEqual(['migrated', true]);
    expect(report.ok).toBe(false);
    expect(report.integrity).toBe('ok');
    const db = new Database(target, { readonly: true });
    expect((db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n).toBe(good?.found.runs);
    db.close();
  });

  it('a run id already used for other content fails that source whole, and only that source', async () => {
    const target = join(dir, 'clash', 'mlflow.db');
    await migrate({ sources: [src('1.30.1-sqlite')], into: target });
    const before = dumpTables(target);
    const artifactsBefore = treeDigest(join(dir, 'clash', 'artifacts'));

    // Same run ids, one param changed, plus an experiment and metric rows that must not leak in.
    const edited = join(dir, 'clash-src', 'edited.db');
    mkdirSync(join(dir, 'clash-src'), { recursive: true });
    copyFileSync(src('1.30.1-sqlite'), edited);
    const e = new Database(edited);
    e.exec("INSERT INTO experiments (name, lifecycle_stage) VALUES ('leaked-experiment', 'active')");
    const parent = e.prepare("SELECT run_uuid FROM params WHERE key = 'lr'").get() as { run_uuid: string };
    e.prepare("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('late', 1, 1, ?, 0, 0)").run(parent.run_uuid);
    e.prepare("UPDATE params SET value = '0.5' WHERE key = 'lr'").run();
    e.close();

    const report = await migrate({ sources: [edited, src('2.9.2-sqlite')], into: target });
    const failed = report.sources[0];
    expect(failed.status).toBe('failed');
    expect(failed.error).toContain(`run id ${parent.run_uuid} is already in the target with different content: param lr is '0.001' in the target, '0.5' in the source`);
    expect(failed.error).toContain('nothing from this source was written');
    expect(report.sources[1].status).toBe('migrated');
    const after = dumpTables(target);
    expect(after.experiments.some((x) => (x as { name: string }).name === 'leaked-experiment')).toBe(false);
    expect(after.metrics.some((m) => (m as { key: string }).key === 'late')).toBe(false);
    expect(after.runs.length).toBe(before.runs.length + report.sources[1].found.runs);
    const artifactsAfter = treeDigest(join(dir, 'clash', 'artifacts'));
    for (const [file, sum] of Object.entries(artifactsBefore)) expect(artifactsAfter[file]).toBe(sum);
  });

  it('an artifact that exists with other bytes rolls back rows and files of that source', async () => {
    const store = join(dir, 'art-src', 'mlruns');
    cpSync(src('2.9.2-file'), store, { recursive: true });
    const target = join(dir, 'art', 'mlflow.db');
    await migrate({ sources: [store], into: target });
    const before = dumpTables(target);
    const artifactsBefore = treeDigest(join(dir, 'art', 'artifacts'));
    // Change one artifact, and add a metric point and a new artifact file to the same run.
    const notes = Object.keys(treeDigest(store)).find((p) => p.endsWith('artifacts/notes.txt')) as string;
    const runDir = join(store, notes.replace(/\/artifacts\/notes\.txt$/, ''));
    writeFileSync(join(store, notes), 'edited after the first migration\n');
    writeFileSync(join(runDir, 'artifacts', 'aaa-new.txt'), 'new\n');
    appendFileSync(join(runDir, 'metrics', 'loss'), '1700000099000 0.1 9\n');
    const report = await migrate({ sources: [store], into: target });
    expect(report.sources[0].status).toBe('failed');
    expect(report.sources[0].error).toMatch(/artifact 'notes\.txt' already exists at .* with different content/);
    expect(dumpTables(target)).toEqual(before);
    expect(treeDigest(join(dir, 'art', 'artifacts'))).toEqual(artifactsBefore); // aaa-new.txt was removed again
  });
});

describe('discovery', () => {
  it('recognises stores by content, not by name, and skips the target and its backups', () => {
    const tree = join(dir, 'scan');
    mkdirSync(join(tree, 'project-a', 'nested'), { recursive: true });
    copyFileSync(src('2.9.2-sqlite'), join(tree, 'project-a', 'nested', 'results.bin'));
    const fake = new Database(join(tree, 'project-a', 'mlflow.db'));
    fake.exec('CREATE TABLE notes (x)');
    fake.close();
    cpSync(src('1.30.1-file'), join(tree, 'old', 'mlruns'), { recursive: true });
    mkdirSync(join(tree, 'central', 'backups'), { recursive: true });
    copyFileSync(src('3.17.2-sqlite'), join(tree, 'central', 'mlflow.db'));
    copyFileSync(src('3.17.2-sqlite'), join(tree, 'central', 'backups', 'copy.db'));
    const found = discoverSources([`sqlite:///${join(tree, 'project-a', 'nested', 'results.bin')}`, tree], [
      join(tree, 'central', 'mlflow.db'),
      join(tree, 'central', 'backups'),
    ]);
    expect(found.sources).toEqual([
      { kind: 'sqlite', path: join(tree, 'project-a', 'nested', 'results.bin') },
      { kind: 'file', path: join(tree, 'old', 'mlruns') },
    ]);
    expect(found.ignored).toEqual([join(tree, 'project-a', 'mlflow.db')]);
    expect(found.problems).toEqual([]);
  });
});

describe('a source open in another connection', () => {
  it('is backed up and read consistently while a writer holds an uncommitted transaction', async () => {
    const busy = join(dir, 'busy', 'mlflow.db');
    mkdirSync(join(dir, 'busy'), { recursive: true });
    copyFileSync(src('2.9.2-sqlite'), busy);
    const writer = new Database(busy);
    writer.exec('BEGIN IMMEDIATE');
    writer.exec("INSERT INTO experiments (name, lifecycle_stage) VALUES ('uncommitted', 'active')");
    try {
      const report = await migrate({ sources: [busy], into: join(dir, 'busy-target', 'mlflow.db') });
      expect(report.sources[0].status).toBe('migrated');
      expect(report.sources[0].found.experiments).toBe(4);
      const backup = dumpTables(report.sources[0].backup as string);
      expect(backup.experiments.some((x) => (x as { name: string }).name === 'uncommitted')).toBe(false);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });
});

describe('an unusable target', () => {
  it('is refused before anything is written, naming the problem', async () => {
    const notes = join(dir, 'targets', 'notes.db');
    mkdirSync(join(dir, 'targets'), { recursive: true });
    writeFileSync(notes, 'hello\n');
    const old = join(dir, 'targets', 'old.db');
    copyFileSync(src('1.30.1-sqlite'), old);
    const before = treeDigest(join(dir, 'targets'));
    for (const dryRun of [false, true]) {
      await expect(migrate({ sources: [src('2.9.2-sqlite')], into: notes, dryRun })).rejects.toMatchObject({
        code: 'STORE_SCHEMA_MISMATCH',
        message: expect.stringContaining('notes.db: the target is not a SQLite database; it was left untouched'),
      });
      await expect(migrate({ sources: [src('2.9.2-sqlite')], into: old, dryRun })).rejects.toMatchObject({
        code: 'STORE_SCHEMA_MISMATCH',
        message: expect.stringContaining('is at schema revision 97727af70f4d, not dc11669786a5'),
      });
    }
    expect(treeDigest(join(dir, 'targets'))).toEqual(before);
  });
});

describe('a run already in the target', () => {
  it('is completed with what it lacks, and its latest metric values move with new points', async () => {
    const store = join(dir, 'grow', 'mlruns');
    cpSync(src('2.9.2-file'), store, { recursive: true });
    const target = join(dir, 'grow-target', 'mlflow.db');
    const first = await migrate({ sources: [store], into: target });
    expect(first.sources[0].status).toBe('migrated');

    const lossFile = Object.keys(treeDigest(store)).find((p) => /\/metrics\/loss$/.test(p)) as string;
    const runDir = join(store, lossFile.replace(/\/metrics\/loss$/, ''));
    const runId = runDir.split('/').pop() as string;
    appendFileSync(join(runDir, 'metrics', 'loss'), '1700000099000 0.125 9\n');
    writeFileSync(join(runDir, 'metrics', 'old_style'), '1700000000000 3.5\n1700000000500 4.5\n'); // MLflow 0.x lines: no step
    writeFileSync(join(runDir, 'params', 'added_later'), 'yes');
    writeFileSync(join(runDir, 'artifacts', 'late.txt'), 'late\n');

    const second = await migrate({ sources: [store], into: target });
    const r = second.sources[0];
    expect([r.status, r.runsCompleted, r.runsSkipped, r.verification?.ok]).toEqual(['migrated', 1, 5, true]);
    expect([r.added.metricRows, r.added.params, r.added.artifactFiles, r.added.runs]).toEqual([3, 1, 1, 0]);
    const db = new Database(target, { readonly: true });
    const latest = db.prepare('SELECT "key", value, step FROM latest_metrics WHERE run_uuid = ? ORDER BY "key"').all(runId);
    const oldStyle = db.prepare("SELECT step, value FROM metrics WHERE run_uuid = ? AND key = 'old_style' ORDER BY timestamp").all(runId);
    db.close();
    expect(latest).toContainEqual({ key: 'loss', value: 0.125, step: 9 });
    expect(latest).toContainEqual({ key: 'old_style', value: 4.5, step: 0 });
    expect(oldStyle).toEqual([
      { step: 0, value: 3.5 },
      { step: 0, value: 4.5 },
    ]);
  });
});
