import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
