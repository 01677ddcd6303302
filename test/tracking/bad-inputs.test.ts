// Bad inputs across the local store: each must fail with a StoreError whose code and message name the
// problem, never a raw SQLite error or a crash; files that are not MLflow stores are never modified.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore, StoreError, openStore, type TrackingClient } from '../../src/tracking/index.js';

let work: string;
let store: SqliteStore;
let expId: string;
let runId: string;
let deletedExpId: string;
let deletedRunId: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mlxt-bad-inputs-'));
  store = new SqliteStore(`sqlite:///${join(work, 'store', 'mlflow.db')}`);
  expId = await store.createExperiment('bad-inputs');
  runId = (await store.createRun(expId)).info.runId;
  await store.logParam(runId, 'lr', '0.001');
  deletedExpId = await store.createExperiment('gone');
  await store.deleteExperiment(deletedExpId);
  deletedRunId = (await store.createRun(expId)).info.runId;
  await store.deleteRun(deletedRunId);
});
afterAll(async () => {
  await store?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Awaits a failure and checks it is a StoreError with the given code and a message naming the problem. */
async function rejects(action: () => Promise<unknown> | unknown, code: string, message: RegExp): Promise<StoreError> {
  let caught: unknown;
  try {
    await action();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected the call to fail').toBeInstanceOf(StoreError);
  const err = caught as StoreError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  return err;
}

const INVALID = 'INVALID_PARAMETER_VALUE';
const MISSING = 'RESOURCE_DOES_NOT_EXIST';
const NOT_MLFLOW = 'STORE_SCHEMA_MISMATCH';
const UNKNOWN_RUN = 'f'.repeat(32);

describe('keys and values', () => {
  const badKeys: [string, unknown, RegExp][] = [
    ['a key with a forbidden character', 'loss!', /loss!.*Names may only contain/],
    ['a key with a newline', 'lo\nss', /Names may only contain/],
    ['a key that climbs out with ..', '../secret', /must not resolve to other names/],
    ['a key with a leading slash', '/abs', /must not resolve to other names/],
    ['a key with a double slash', 'a//b', /must not resolve to other names/],
    ['an empty-segment key ending in /', 'loss/', /must not resolve to other names/],
    ['a key that is not a string', 42, /expected a string/],
    ['a missing key', undefined, /A key name must be provided/],
  ];
  for (const [what, key, message] of badKeys) {
    it(`rejects ${what} as a metric key`, async () => {
      await rejects(() => store.logMetric(runId, key as string, 1), INVALID, message);
    });
  }

  it('rejects a metric key over 250 characters', async () => {
    await rejects(() => store.logMetric(runId, 'm'.repeat(251), 1), INVALID, /'Metric name' exceeds the maximum length of 250/);
  });
  it('rejects a param key over 250 characters', async () => {
    await rejects(() => store.logParam(runId, 'p'.repeat(251), 'x'), INVALID, /'Param key' exceeds the maximum length of 250/);
  });
  it('rejects a tag key over 250 characters', async () => {
    await rejects(() => store.setTag(runId, 't'.repeat(251), 'x'), INVALID, /exceeds the maximum length of 250/);
  });
  // MLflow truncates over-long run param/tag values by default (MLFLOW_TRUNCATE_LONG_VALUES) and refuses
  // them when that is off; both backends follow it.
  describe('with MLFLOW_TRUNCATE_LONG_VALUES=false', () => {
    beforeAll(() => {
      process.env.MLFLOW_TRUNCATE_LONG_VALUES = 'false';
    });
    afterAll(() => {
      delete process.env.MLFLOW_TRUNCATE_LONG_VALUES;
    });
    it('rejects a param value over 6000 characters', async () => {
      await rejects(() => store.logParam(runId, 'long', 'v'.repeat(6001)), INVALID, /exceeds the maximum length of 6000/);
    });
    it('rejects a tag value over 8000 characters', async () => {
      await rejects(() => store.setTag(runId, 'long', 'v'.repeat(8001)), INVALID, /exceeds the maximum length of 8000/);
    });
  });
  it('rejects an experiment tag value over 20000 characters', async () => {
    await rejects(() => store.setExperimentTag(expId, 'long', 'v'.repeat(20_001)), INVALID, /20000/);
  });
  it('rejects an experiment name over 500 characters', async () => {
    await rejects(() => store.createExperiment('e'.repeat(501)), INVALID, /500/);
  });
  it('rejects an empty experiment name', async () => {
    await rejects(() => store.createExperiment(''), INVALID, /Invalid experiment name/);
  });

  it('rejects overwriting a param with a different value (logParam)', async () => {
    await store.logParam(runId, 'lr', '0.001'); // the same value again is allowed
    await rejects(() => store.logParam(runId, 'lr', '0.01'), INVALID, /Changing param values is not allowed.*lr.*0\.001.*0\.01/s);
    expect((await store.getRun(runId)).data.params.lr).toBe('0.001');
  });
  it('rejects overwriting a param with a different value (logBatch), writing nothing of the batch', async () => {
    await rejects(
      () => store.logBatch(runId, { metrics: [{ key: 'never', value: 1 }], params: [{ key: 'lr', value: '0.5' }] }),
      INVALID,
      /Changing param values is not allowed/,
    );
    expect((await store.getRun(runId)).data.metrics.never).toBeUndefined();
  });
  it('rejects one batch holding two values for the same param key', async () => {
    await rejects(
      () => store.logBatch(runId, { params: [{ key: 'bs', value: '8' }, { key: 'bs', value: '16' }] }),
      INVALID,
      /Duplicate parameter keys.*bs/,
    );
  });

  it('rejects a metric value that is not a number', async () => {
    await rejects(() => store.logMetric(runId, 'loss', '0.5' as unknown as number), INVALID, /loss|value/);
  });
  it('rejects a missing metric value', async () => {
    await rejects(() => store.logBatch(runId, { metrics: [{ key: 'loss' } as never] }), INVALID, /Missing value.*value/);
  });
  it('rejects a fractional step', async () => {
    await rejects(() => store.logMetric(runId, 'loss', 1, { step: 1.5 }), INVALID, /Step must be a valid long/);
  });
  it('rejects a fractional timestamp', async () => {
    await rejects(() => store.logMetric(runId, 'loss', 1, { timestamp: 1.5 }), INVALID, /[Tt]imestamp/);
  });

  it('rejects a batch of 1001 metrics', async () => {
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, step: i }));
    await rejects(() => store.logBatch(runId, { metrics }), INVALID, /1000/);
  });
  it('rejects a batch of 101 params', async () => {
    const params = Array.from({ length: 101 }, (_, i) => ({ key: `bp${i}`, value: i }));
    await rejects(() => store.logBatch(runId, { params }), INVALID, /100/);
  });
  it('rejects a batch of 101 tags', async () => {
    const tags = Array.from({ length: 101 }, (_, i) => ({ key: `bt${i}`, value: 'x' }));
    await rejects(() => store.logBatch(runId, { tags }), INVALID, /100/);
  });
  it('rejects an unknown run status', async () => {
    await rejects(() => store.updateRun(runId, { status: 'DONE' as never }), INVALID, /DONE/);
  });
  it('rejects an invalid registry alias', async () => {
    await store.createRegisteredModel('bad-inputs-model');
    await rejects(() => store.setRegisteredModelAlias('bad-inputs-model', 'latest', '1'), INVALID, /reserved/);
  });
});

describe('filters and ordering', () => {
  const badFilters: [string, RegExp][] = [
    ["params.x = 'a' OR 1=1 --", /Invalid filter/],
    ["params.x = 'a'; DROP TABLE runs; --", /Invalid filter/],
    ["params.x = 'a' UNION SELECT * FROM params --", /Invalid filter/],
    ["params.x = 'a", /unterminated/],
    ['metrics.acc >', /Invalid filter/],
    ["foo.bar = 'x'", /Invalid filter/],
    ["params.x == 'a'", /Invalid filter/],
    ["attributes.no_such_attribute = 'x'", /Invalid filter/],
  ];
  for (const [filter, message] of badFilters) {
    it(`rejects the filter ${JSON.stringify(filter)} and leaves the tables intact`, async () => {
      await rejects(() => store.searchRuns([expId], { filterString: filter }), INVALID, message);
      expect((await store.searchRuns([expId])).runs.length).toBe(1);
      expect((await store.getRun(runId)).data.params.lr).toBe('0.001');
    });
  }
  it('treats an injection attempt inside a quoted value as a plain string', async () => {
    const found = await store.searchRuns([expId], { filterString: "params.lr = '0.001'' OR ''1''=''1'" }).catch((e) => e);
    // Either rejected as malformed or matching nothing: never all runs.
    if (found instanceof Error) expect(found).toBeInstanceOf(StoreError);
    else expect(found.runs).toEqual([]);
  });
  it('rejects a bad order_by clause', async () => {
    await rejects(() => store.searchRuns([expId], { orderBy: ['metrics.acc SIDEWAYS'] }), INVALID, /order_by|SIDEWAYS/);
  });
  it('rejects max_results above 50000', async () => {
    await rejects(() => store.searchRuns([expId], { maxResults: 50_001 }), INVALID, /max_results/);
  });
  it('rejects a forged page token', async () => {
    await rejects(() => store.searchRuns([expId], { pageToken: 'not-a-token' }), INVALID, /token/i);
  });
  it('rejects a bad experiment filter', async () => {
    await rejects(() => store.searchExperiments({ filterString: "name = 'x' OR 1=1" }), INVALID, /Invalid filter/);
  });
});

describe('unknown and deleted entities', () => {
  it('reports an unknown run id', async () => {
    await rejects(() => store.getRun(UNKNOWN_RUN), MISSING, new RegExp(`Run with id=${UNKNOWN_RUN} not found`));
  });
  it('reports logging to an unknown run', async () => {
    await rejects(() => store.logBatch(UNKNOWN_RUN, { metrics: [{ key: 'loss', value: 1 }] }), MISSING, /not found/);
  });
  it('rejects a run id that is not an id', async () => {
    await rejects(() => store.getRun("x' OR '1'='1"), INVALID, /run_id/);
  });
  it('reports an unknown experiment id', async () => {
    await rejects(() => store.getExperiment('123456'), MISSING, /No Experiment with id=123456/);
  });
  it('rejects a non-numeric experiment id', async () => {
    await rejects(() => store.getExperiment('abc'), INVALID, /Experiment ID must be a valid integer/);
  });
  it('reports creating a run in an unknown experiment', async () => {
    await rejects(() => store.createRun('123456'), MISSING, /123456/);
  });
  it('refuses a run in a deleted experiment', async () => {
    await rejects(() => store.createRun(deletedExpId), INVALID, /must be in the 'active' state/);
  });
  it('refuses tagging a deleted experiment', async () => {
    await rejects(() => store.setExperimentTag(deletedExpId, 'k', 'v'), INVALID, /must be in the 'active' state/);
  });
  it('refuses logging to a deleted run', async () => {
    await rejects(() => store.logMetric(deletedRunId, 'loss', 1), INVALID, /must be in the 'active' state/);
  });
  it('refuses a duplicate experiment name', async () => {
    await rejects(() => store.createExperiment('bad-inputs'), 'RESOURCE_ALREADY_EXISTS', /bad-inputs/);
  });
  it('reports an unknown registered model', async () => {
    await rejects(() => store.getRegisteredModel('no-such-model'), MISSING, /no-such-model/);
  });
  it('reports deleting a tag that does not exist', async () => {
    await rejects(() => store.deleteTag(runId, 'never-set'), MISSING, /never-set/);
  });
  it('refuses a call on a closed store', async () => {
    const other = new SqliteStore(`sqlite:///${join(work, 'closed.db')}`);
    await other.close();
    await rejects(() => other.getExperiment('0'), 'INVALID_STATE', /closed/);
  });
});

describe('files at the tracking path', () => {
  const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

  /** Opening must fail with STORE_SCHEMA_MISMATCH and leave the file byte-for-byte as it was. */
  async function refusesUntouched(path: string, message: RegExp): Promise<void> {
    const before = digest(path);
    await rejects(() => new SqliteStore(`sqlite:///${path}`), NOT_MLFLOW, message);
    await rejects(() => openStore(`sqlite:///${path}`), NOT_MLFLOW, message);
    expect(digest(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  }

  it('refuses a text file and leaves it untouched', async () => {
    const path = join(work, 'notes.db');
    writeFileSync(path, 'these are my notes, not a database\n');
    await refusesUntouched(path, /not a SQLite database/);
  });
  it('refuses random bytes and leaves them untouched', async () => {
    const path = join(work, 'random.db');
    writeFileSync(path, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 256)));
    await refusesUntouched(path, /not a SQLite database/);
  });
  it('refuses a SQLite file whose pages are corrupt and leaves it untouched', async () => {
    const path = join(work, 'corrupt.db');
    const good = new Database(path);
    good.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1);');
    good.close();
    const bytes = readFileSync(path);
    bytes.fill(0xab, 100); // keep the header, destroy the schema page
    writeFileSync(path, bytes);
    await refusesUntouched(path, /readable SQLite|not an MLflow|cannot be opened|malformed/);
  });
  it('refuses a SQLite database of another application and leaves it untouched', async () => {
    const path = join(work, 'app.db');
    const other = new Database(path);
    other.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann');");
    other.close();
    await refusesUntouched(path, /not an MLflow tracking store.*users/);
  });
  it('refuses an MLflow store stamped with an unknown schema revision and leaves it untouched', async () => {
    const path = join(work, 'future.db');
    const made = new SqliteStore(`sqlite:///${path}`);
    await made.close();
    const db = new Database(path);
    db.pragma('journal_mode = DELETE');
    db.prepare('UPDATE alembic_version SET version_num = ?').run('ffffffffffff');
    db.close();
    await refusesUntouched(path, /ffffffffffff/);
  });
  it('refuses a directory at the tracking path', async () => {
    const path = join(work, 'a-directory.db');
    mkdirSync(path);
    await rejects(() => new SqliteStore(`sqlite:///${path}`), NOT_MLFLOW, /is a directory/);
  });
  it('explains a tracking path whose folder cannot be created', async () => {
    const file = join(work, 'a-plain-file');
    writeFileSync(file, 'not a folder');
    await rejects(() => new SqliteStore(`sqlite:///${join(file, 'sub', 'mlflow.db')}`), 'INVALID_PARAMETER_VALUE', /cannot create the folder for the tracking store .*ENOTDIR/);
  });
});

describe('tracking URIs', () => {
  const badUris: [string, RegExp][] = [
    ['ftp://host/mlflow.db', /unsupported tracking URI 'ftp:\/\/host\/mlflow\.db'/],
    ['mysql://user@host/db', /unsupported tracking URI/],
    ['plain/path/mlflow.db', /sqlite:\/\/\//],
    ['sqlite:/only-one-slash.db', /Invalid SQLite URI|sqlite:/],
  ];
  for (const [uri, message] of badUris) {
    it(`rejects ${uri}`, async () => {
      await rejects(() => openStore(uri) as Promise<TrackingClient>, INVALID, message);
    });
  }
  it('rejects an http URI without a host', async () => {
    await rejects(() => openStore('http://'), INVALID, /http/);
  });
});
