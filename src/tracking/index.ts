/**
 * Experiment tracking in MLflow's own formats: `openStore()` picks the backend from a tracking URI
 * (`sqlite:///path/to/mlflow.db` → local file, `http(s)://host` → an MLflow server).
 */
import { resolve } from 'node:path';
import { StoreError } from './errors.js';
import { TrackingStore } from './sqlite/store.js';
import type { TrackingClient } from './types.js';
import { resolveTrackingUri } from './uri.js';

export * from './types.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { TrackingStore, TrackingStore as SqliteStore, type TrackingStoreOptions } from './sqlite/store.js';
export { paramValueToString } from './values.js';

export { DEFAULT_TRACKING_URI, resolveTrackingUri, type TrackingUriSources, type ResolvedTrackingUri } from './uri.js';

export interface OpenStoreOptions {
  /** Artifact root for new experiments of a SQLite store (default: `artifacts` beside the database file). */
  artifactRoot?: string;
}

/** The constructor the REST backend (./rest/index.ts) exports. */
type RestStoreModule = { RestStore: new (uri: string) => TrackingClient };

/**
 * Opens a tracking store. `uri` defaults to `MLFLOW_TRACKING_URI`, then `sqlite:///mlruns/mlflow.db`.
 * Accepts `sqlite:///relative.db`, `sqlite:////abs/path.db`, or `http(s)://host[:port]`.
 */
export async function openStore(uri?: string, options: OpenStoreOptions = {}): Promise<TrackingClient> {
  const target = resolveTrackingUri({ flag: uri }).uri;
  if (/^https?:\/\//i.test(target)) {
    // Loaded lazily so SQLite-only users never pay for the HTTP client.
    const restPath = './rest/index.js';
    const { RestStore } = (await import(restPath)) as RestStoreModule;
    return new RestStore(target);
  }
  if (target.startsWith('sqlite:')) return new TrackingStore(target, options);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) && !target.startsWith('file:')) {
    throw new StoreError(
      `unsupported tracking URI '${target}': expected sqlite:///<path> or http(s)://<host>`,
      'INVALID_PARAMETER_VALUE',
    );
  }
  // A bare path means MLflow's file store, which this package does not write: name the SQLite form instead.
  throw new StoreError(
    `unsupported tracking URI '${target}': use sqlite:///${resolve(target.replace(/^file:\/\//, ''))} for a local store`,
    'INVALID_PARAMETER_VALUE',
  );
}
export { migrate, formatMigrateReport, DEFAULT_MIGRATE_TARGET, type MigrateOptions, type MigrateReport, type SourceReport } from './migrate/index.js';
