// Nothing may leave the artifact root: symbolic links handed to logArtifacts are copied as their content
// (or refused), links already inside a run's artifact folder are never followed, and migration refuses
// run ids that are paths and reports each symbolic link it skips. Real SQLite stores, real file trees.
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore, StoreError } from '../../src/tracking/index.js';
import { migrate } from '../../src/tracking/migrate/index.js';
import { cli } from '../cli/helpers.js';
import { FIXTURES } from './migrate-helpers.js';

let work: string;
let store: SqliteStore;
let exp: string;
let outside: string;

/** Every symbolic link under `dir` (relative paths). */
function linksUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (lstatSync(full).isSymbolicLink()) out.push(full.slice(dir.length + 1));
      else if (e.isDirectory()) walk(full);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mlxt-artifact-escape-'));
  store = new SqliteStore(`sqlite:///${join(work, 'store', 'mlflow.db')}`);
  exp = await store.createExperiment('escape');
  outside = join(work, 'outside');
  mkdirSync(join(outside, 'dir'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  writeFileSync(join(outside, 'dir', 'inner.txt'), 'inner');
});
afterAll(async () => {
  await store?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('logArtifacts with symbolic links', () => {
  it('copies what a link to a file or a folder points at, never the link', async () => {
    const { info } = await store.createRun(exp);
    const src = join(work, 'src-links');
    mkdirSync(src);
    writeFileSync(join(src, 'a.txt'), 'A');
    symlinkSync(join(outside, 'secret.txt'), join(src, 'file-link'));
    symlinkSync(join(outside, 'dir'), join(src, 'dir-link'));
    await store.logArtifacts(info.runId, src, 'model');
    const root = join(work, 'store', 'artifacts', exp, info.runId, 'artifacts');
    expect(linksUnder(root)).toEqual([]);
    expect(readFileSync(join(root, 'model', 'file-link'), 'utf8')).toBe('secret');
    expect(readFileSync(join(root, 'model', 'dir-link', 'inner.txt'), 'utf8')).toBe('inner');
    // A later write through what used to be a link lands inside the run, not in the outside folder.
    await store.logArtifact(info.runId, join(src, 'a.txt'), 'model/dir-link');
    expect(existsSync(join(root, 'model', 'dir-link', 'a.txt'))).toBe(true);
    expect(readdirSync(join(outside, 'dir'))).toEqual(['inner.txt']);
    expect((await store.listArtifacts(info.runId, 'model/dir-link')).map((f) => f.path)).toEqual(['model/dir-link/a.txt', 'model/dir-link/inner.txt']);
  });

  it('refuses a broken link and a link cycle, logging nothing', async () => {
    const { info } = await store.createRun(exp);
    const broken = join(work, 'src-broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'ok.txt'), 'ok');
    symlinkSync(join(work, 'does-not-exist'), join(broken, 'dangling'));
    await expect(store.logArtifacts(info.runId, broken)).rejects.toThrow(/dangling' is a symbolic link whose target cannot be read/);
    const cycle = join(work, 'src-cycle');
    mkdirSync(join(cycle, 'sub'), { recursive: true });
    symlinkSync(cycle, join(cycle, 'sub', 'up'));
    await expect(store.logArtifacts(info.runId, cycle)).rejects.toThrow(/up' links back to a folder being copied/);
    expect(await store.listArtifacts(info.runId)).toEqual([]);
  });

  it('never writes or lists through a link already inside the artifact folder', async () => {
    const { info } = await store.createRun(exp);
    const root = join(work, 'store', 'artifacts', exp, info.runId, 'artifacts');
    mkdirSync(root, { recursive: true });
    symlinkSync(join(outside, 'dir'), join(root, 'escape'));
    const file = join(work, 'payload.txt');
    writeFileSync(file, 'payload');
    const err = await store.logArtifact(info.runId, file, 'escape').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('INVALID_PARAMETER_VALUE');
    expect((err as StoreError).message).toMatch(/outside the run's artifact directory/);
    await expect(store.logArtifacts(info.runId, join(work, 'src-links'), 'escape/deeper')).rejects.toThrow(/outside the run's artifact directory/);
    await expect(store.listArtifacts(info.runId, 'escape')).rejects.toThrow(/outside the run's artifact directory/);
    await expect(store.downloadArtifacts(info.runId, 'escape')).rejects.toThrow(/outside the run's artifact directory/);
    expect(readdirSync(join(outside, 'dir'))).toEqual(['inner.txt']);
    // Listed as the link it is (a file entry), not as the outside folder's contents.
    expect(await store.listArtifacts(info.runId)).toEqual([{ path: 'escape', isDir: false, fileSize: lstatSync(join(root, 'escape')).size }]);
  });
});

describe('migrate: hostile sources', () => {
  it("refuses a SQLite run whose run_uuid climbs out with '../', migrates the rest, and the store still lists", async () => {
    const dir = join(work, 'sqlite-climb');
    cpSync(join(FIXTURES, '3.17.2-sqlite'), join(dir, 'src'), { recursive: true });
    const evil = '../../../escaped';
    const hostileArtifacts = join(dir, 'hostile-artifacts');
    mkdirSync(hostileArtifacts, { recursive: true });
    writeFileSync(join(hostileArtifacts, 'evil.txt'), 'evil');
    const db = new Database(join(dir, 'src', 'mlflow.db'));
    db.pragma('foreign_keys = OFF');
    const victim = 'abe8dbcbba994830a8512c08a14b4eee';
    for (const table of ['params', 'tags', 'metrics', 'latest_metrics']) db.prepare(`UPDATE ${table} SET run_uuid = ? WHERE run_uuid = ?`).run(evil, victim);
    db.prepare('UPDATE inputs SET destination_id = ? WHERE destination_id = ?').run(evil, victim);
    db.prepare('UPDATE runs SET run_uuid = ?, artifact_uri = ? WHERE run_uuid = ?').run(evil, hostileArtifacts, victim);
    db.close();

    const into = join(dir, 'central', 'mlflow.db');
    const report = await migrate({ sources: [join(dir, 'src', 'mlflow.db')], into });
    const [source] = report.sources;
    expect(source.status).toBe('migrated');
    expect(source.refused).toHaveLength(1);
    expect(source.refused![0]).toContain(JSON.stringify(evil));
    expect(source.refused![0]).toMatch(/not a valid MLflow run id/);
    expect(source.added.runs).toBe(5);
    expect(source.verification?.ok).toBe(true);
    expect(report.ok).toBe(false);
    // Before the fix the run's artifacts landed in <dir>/escaped; nothing may exist outside the central root.
    expect(existsSync(join(dir, 'escaped'))).toBe(false);
    expect(existsSync(join(dir, 'central', 'escaped'))).toBe(false);

    const runs = cli(['runs', '--json', '--tracking-uri', `sqlite:///${into}`, '-n', '100']);
    expect(runs.code, runs.stderr).toBe(0);
    const listed = JSON.parse(runs.stdout) as { info: { runId: string } }[];
    // The fixture's active runs in active experiments, less the refused one.
    expect(listed.map((r) => r.info.runId).sort()).toEqual(['14c74d8215f145e29a4c6d65616cc0e7', '6e98ca65240d48a38c9a6eceaca92b84', 'f5111d87c22d4c76a35c4756db05f191']);

    const again = cli(['migrate', join(dir, 'src', 'mlflow.db'), '--into', join(dir, 'central2', 'mlflow.db')]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`REFUSED: run "${evil}" refused`);
    expect(again.stdout).toMatch(/1 run\(s\) refused/);
  });

  it('refuses a file-store run whose run_id is a path and reports every skipped artifact link', async () => {
    const dir = join(work, 'file-links');
    cpSync(join(FIXTURES, '3.17.2-file'), join(dir, 'src'), { recursive: true });
    const root = join(dir, 'src', 'filestore');
    const expDir = join(root, '743968255486610967');
    symlinkSync(join(outside, 'secret.txt'), join(expDir, '659fdb361a114793b20b895f813d52d1', 'artifacts', 'secret-link'));
    symlinkSync(join(outside, 'dir'), join(expDir, '659fdb361a114793b20b895f813d52d1', 'artifacts', 'dir-link'));
    const meta = join(expDir, '2f62bc6ab16d4d169bf6ed051f580ee0', 'meta.yaml');
    writeFileSync(meta, readFileSync(meta, 'utf8').replace(/^run_id: .*$/m, 'run_id: ../../x').replace(/^run_uuid: .*$/m, 'run_uuid: ../../x'));

    const into = join(dir, 'central', 'mlflow.db');
    const report = await migrate({ sources: [root], into });
    const [source] = report.sources;
    expect(source.status, source.error).toBe('migrated');
    expect(source.refused?.[0]).toMatch(/run "\.\.\/\.\.\/x" refused/);
    const linkWarnings = source.warnings.filter((w) => /symbolic link and was not copied/.test(w));
    expect(linkWarnings.map((w) => /artifact '([^']+)'/.exec(w)?.[1]).sort()).toEqual(['dir-link', 'secret-link']);
    expect(linksUnder(join(dir, 'central'))).toEqual([]);
  });
});
