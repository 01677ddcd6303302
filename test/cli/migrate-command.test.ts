import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { TrackingStore } from '../../src/tracking/index.js';
import { cli, root } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-migrate-'));
const src = join(dir, 'old');
cpSync(join(root, 'test', 'fixtures', 'mlflow-stores', '2.9.2-sqlite'), src, { recursive: true });
const into = join(dir, 'central', 'mlflow.db');

describe('mlx-train migrate', () => {
  it('dry-run writes nothing, then migrates, then is a no-op', () => {
    const dry = cli(['migrate', src, '--into', into, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout);
    expect(planned.ok).toBe(true);

    const real = cli(['migrate', src, '--into', into, '--json']);
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout);
    expect(report.ok).toBe(true);

    const runs = cli(['runs', '--json', '--tracking-uri', `sqlite:///${into}`, '-n', '100']);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout).length).toBeGreaterThan(0);

    const again = cli(['migrate', src, '--into', into]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/skipped|nothing|0 runs/i);
  });

  it('reports a corrupt source and exits 1 without a stack trace', () => {
    const bad = join(dir, 'bad.db');
    writeFileSync(bad, 'SQLite format 3\0garbage garbage garbage');
    const r = cli(['migrate', bad, '--into', join(dir, 'other', 'mlflow.db')]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/bad\.db/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a verification MISMATCH exits 1 and says so in the report and its summary', async () => {
    // A target that silently loses writes (a trigger deletes every param row as it is inserted):
    // the merge succeeds, and only the row-by-row verification can notice.
    const lossy = join(dir, 'lossy', 'mlflow.db');
    await new TrackingStore(`sqlite:///${lossy}`).close();
    const db = new Database(lossy);
    db.exec('CREATE TRIGGER lose_params AFTER INSERT ON params BEGIN DELETE FROM params WHERE rowid = new.rowid; END');
    db.close();
    const r = cli(['migrate', src, '--into', lossy]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/verify:\s+MISMATCH/);
    expect(r.stdout).toMatch(/params missing or different/);
    expect(r.stdout).toMatch(/1 verification MISMATCH/);
    const json = cli(['migrate', src, '--into', lossy, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout).ok).toBe(false);
  });
});
