/**
 * The one owner of "which tracking store": an explicit URI (a flag, an argument, `--set`) beats
 * MLFLOW_TRACKING_URI, which beats the config's tracking.trackingUri, which beats the default.
 * The CLI, openStore, the config loader and the schema all go through here.
 */

/** Used when no flag, no MLFLOW_TRACKING_URI and no config names a store. */
export const DEFAULT_TRACKING_URI = 'sqlite:///mlruns/mlflow.db';

export interface TrackingUriSources {
  /** An explicit URI: `--tracking-uri`, an argument to openStore. */
  flag?: string;
  /** The environment to read MLFLOW_TRACKING_URI from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** The config's `tracking.trackingUri`, when one was written. */
  config?: string;
}

export interface ResolvedTrackingUri {
  uri: string;
  /** Which source won, for messages ("env MLFLOW_TRACKING_URI"). */
  from: 'flag' | 'env MLFLOW_TRACKING_URI' | 'config' | 'default';
}

/** Resolves the tracking URI: flag > MLFLOW_TRACKING_URI > config > default (empty strings count as unset). */
export function resolveTrackingUri(sources: TrackingUriSources = {}): ResolvedTrackingUri {
  if (sources.flag) return { uri: sources.flag, from: 'flag' };
  const env = (sources.env ?? process.env).MLFLOW_TRACKING_URI;
  if (env) return { uri: env, from: 'env MLFLOW_TRACKING_URI' };
  if (sources.config) return { uri: sources.config, from: 'config' };
  return { uri: DEFAULT_TRACKING_URI, from: 'default' };
}
