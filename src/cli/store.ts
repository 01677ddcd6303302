/** Opening the tracking store for CLI commands, with a clear message when there is none yet. */
import { existsSync } from 'node:fs';
import { openStore, resolveTrackingUri, StoreError, type TrackingClient } from '../tracking/index.js';
import { UsageError } from './output.js';

export function trackingUri(opts: Record<string, unknown>): string {
  return resolveTrackingUri({ flag: opts.trackingUri as string | undefined }).uri;
}

/** Opens the store named by --tracking-uri / MLFLOW_TRACKING_URI; a missing SQLite file is not created. */
export async function openExistingStore(opts: Record<string, unknown>): Promise<TrackingClient> {
  const uri = trackingUri(opts);
  const file = uri.startsWith('sqlite:///') ? uri.slice('sqlite:///'.length) : undefined;
  if (file !== undefined && file !== ':memory:' && !existsSync(file)) {
    throw new UsageError(`no tracking store at ${file}; train a model first (mlx-train train --preset quick) or pass --tracking-uri`);
  }
  try {
    return await openStore(uri);
  } catch (err) {
    // A URI openStore cannot use is the user's input (exit 2), not a store failure.
    if (err instanceof StoreError && err.message.startsWith('unsupported tracking URI')) throw new UsageError(`--tracking-uri: ${err.message}`);
    throw err;
  }
}

/** A store call whose INVALID_PARAMETER_VALUE can only come from the user's flags (`what`): exit 2. */
export async function withUserInput<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof StoreError && err.code === 'INVALID_PARAMETER_VALUE') throw new UsageError(`${what}: ${err.message}`);
    throw err;
  }
}

/** Experiment ids for --experiment NAME (or all active experiments). */
export async function experimentIds(store: TrackingClient, name: string | undefined): Promise<string[]> {
  if (name) {
    const exp = await store.getExperimentByName(name);
    if (!exp) throw new UsageError(`no experiment named '${name}' (list them with: mlx-train experiments)`);
    return [exp.experimentId];
  }
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchExperiments({ maxResults: 1000, pageToken });
    ids.push(...page.experiments.map((e) => e.experimentId));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return ids;
}

export function formatTime(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '';
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}
