/** One owner for the tracking URI: flag > MLFLOW_TRACKING_URI > config > default, everywhere it is read. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { trackingUri } from '../../src/cli/store.js';
import { resolveConfig } from '../../src/config/load.js';
import { DEFAULT_TRACKING_URI, openStore, resolveTrackingUri, TrackingStore } from '../../src/tracking/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-tracking-uri-'));
const saved = process.env.MLFLOW_TRACKING_URI;
afterEach(() => {
  if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
  else process.env.MLFLOW_TRACKING_URI = saved;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveTrackingUri', () => {
  const flag = 'sqlite:///flag.db';
  const env = { MLFLOW_TRACKING_URI: 'sqlite:///env.db' };
  const config = 'sqlite:///config.db';

  it('takes the flag, then the environment, then the config, then the default', () => {
    expect(resolveTrackingUri({ flag, env, config })).toEqual({ uri: flag, from: 'flag' });
    expect(resolveTrackingUri({ env, config })).toEqual({ uri: env.MLFLOW_TRACKING_URI, from: 'env MLFLOW_TRACKING_URI' });
    expect(resolveTrackingUri({ env: {}, config })).toEqual({ uri: config, from: 'config' });
    expect(resolveTrackingUri({ env: {} })).toEqual({ uri: DEFAULT_TRACKING_URI, from: 'default' });
  });

  it('treats an empty MLFLOW_TRACKING_URI or flag as unset', () => {
    expect(resolveTrackingUri({ flag: '', env: { MLFLOW_TRACKING_URI: '' }, config }).uri).toBe(config);
  });

  it('reads process.env when no environment is given', () => {
    process.env.MLFLOW_TRACKING_URI = 'sqlite:///from-process.db';
    expect(resolveTrackingUri().uri).toBe('sqlite:///from-process.db');
  });
});

describe('every reader goes through it', () => {
  it('the CLI: --tracking-uri > MLFLOW_TRACKING_URI > default', () => {
    process.env.MLFLOW_TRACKING_URI = 'sqlite:///env.db';
    expect(trackingUri({ trackingUri: 'sqlite:///flag.db' })).toBe('sqlite:///flag.db');
    expect(trackingUri({})).toBe('sqlite:///env.db');
    delete process.env.MLFLOW_TRACKING_URI;
    expect(trackingUri({})).toBe(DEFAULT_TRACKING_URI);
  });

  it('openStore: an argument > MLFLOW_TRACKING_URI', async () => {
    process.env.MLFLOW_TRACKING_URI = `sqlite:///${join(dir, 'env.db')}`;
    const fromEnv = await openStore();
    const fromArg = await openStore(`sqlite:///${join(dir, 'arg.db')}`);
    try {
      expect((fromEnv as TrackingStore).path).toBe(join(dir, 'env.db'));
      expect((fromArg as TrackingStore).path).toBe(join(dir, 'arg.db'));
    } finally {
      await fromEnv.close();
      await fromArg.close();
    }
  });

  it('the config: --set > MLFLOW_TRACKING_URI > the YAML file > the default', () => {
    const file = join(dir, 'run.yaml');
    writeFileSync(file, 'tracking:\n  trackingUri: sqlite:///config.db\n');
    const env = { MLFLOW_TRACKING_URI: 'sqlite:///env.db' };
    expect(resolveConfig({ file, env, set: ['tracking.trackingUri=sqlite:///set.db'] }).config.tracking.trackingUri).toBe('sqlite:///set.db');
    expect(resolveConfig({ file, env }).config.tracking.trackingUri).toBe('sqlite:///env.db');
    expect(resolveConfig({ file, env: {} }).config.tracking.trackingUri).toBe('sqlite:///config.db');
    expect(resolveConfig({ env: {} }).config.tracking.trackingUri).toBe(DEFAULT_TRACKING_URI);
  });

  it('a bad MLFLOW_TRACKING_URI is blamed on the environment variable', () => {
    expect(() => resolveConfig({ env: { MLFLOW_TRACKING_URI: 'ftp://x' } })).toThrow(/env MLFLOW_TRACKING_URI/);
  });
});
