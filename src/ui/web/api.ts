/** The dashboard's JSON API (src/ui/routes.ts), typed for the views. */
import type { RunRow, Series } from '../wire.js';

export type { RunRow, Series };

export interface Experiment {
  experimentId: string;
  name: string;
  lifecycleStage: string;
  lastUpdateTime: number;
}

export interface RunDetail {
  row: RunRow;
  tags: Record<string, string>;
  artifactUri: string;
  configYaml: string | null;
  children: RunRow[];
}

export interface FileInfo {
  path: string;
  isDir: boolean;
  fileSize?: number;
}

export class ApiError extends Error {}

export async function api<T>(path: string, params: Record<string, string | string[] | undefined> = {}): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) q.append(k, item);
  }
  const res = await fetch(`/api/${path}${q.size ? `?${q}` : ''}`);
  const body = await res.json();
  if (!res.ok) throw new ApiError(body.error ?? `HTTP ${res.status}`);
  return body as T;
}

export const artifactUrl = (runId: string, path: string, download = false) =>
  `/api/runs/${encodeURIComponent(runId)}/artifact?${new URLSearchParams(download ? { path, download: '1' } : { path })}`;
