/**
 * The dashboard's JSON API: GET only, one handler per path, each a thin call into queries.ts or
 * artifacts.ts. Answers are JSON; errors are `{error, code}` with the status the error carries.
 */
import type { ServerResponse } from 'node:http';
import { UiError } from '../errors.js';
import { StoreError, type Run, type TrackingClient } from '../tracking/index.js';
import { artifactContentType, listRunArtifacts, readRunArtifact } from './artifacts.js';
import { streamRun, type LiveOptions } from './live.js';
import { childRuns, listExperiments, metricSeries, searchRunRows, toRow } from './queries.js';

export interface ApiContext {
  store: TrackingClient;
  live?: LiveOptions;
}

type Handler = (ctx: ApiContext, params: URLSearchParams, res: ServerResponse, match: string[]) => Promise<unknown>;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

async function getRun(store: TrackingClient, runId: string): Promise<Run> {
  if (!/^[0-9a-zA-Z_-]{1,64}$/.test(runId)) throw new UiError(`run id '${runId}': expected letters, digits, '-' or '_'`, 400);
  return store.getRun(runId);
}

/** A config.yaml artifact (what the trainer logs); null when the run has none. */
async function configYaml(store: TrackingClient, run: Run): Promise<string | null> {
  try {
    const top = await store.listArtifacts(run.info.runId);
    if (!top.some((f) => f.path === 'config.yaml' && !f.isDir)) return null;
    return (await readRunArtifact(store, run, 'config.yaml')).toString('utf8');
  } catch {
    return null;
  }
}

const list = (value: string | null) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : []);

const routes: [RegExp, Handler][] = [
  [/^\/api\/experiments$/, async ({ store }) => ({ experiments: await listExperiments(store) })],
  [/^\/api\/runs$/, async ({ store }, q) => {
    const experimentIds = list(q.get('experiments'));
    if (!experimentIds.length) throw new UiError('experiments: expected at least one experiment id', 400);
    return searchRunRows(store, {
      experimentIds,
      filter: q.get('filter') ?? '',
      orderBy: q.getAll('order').filter(Boolean),
      maxResults: q.has('max') ? Number(q.get('max')) : undefined,
      pageToken: q.get('page') ?? undefined,
    });
  }],
  [/^\/api\/runs\/([^/]+)$/, async ({ store }, _q, _res, [id]) => {
    const run = await getRun(store, id);
    const [config, children] = await Promise.all([configYaml(store, run), childRuns(store, run)]);
    return { row: toRow(run), tags: run.data.tags, inputs: run.inputs, artifactUri: run.info.artifactUri, configYaml: config, children };
  }],
  [/^\/api\/runs\/([^/]+)\/metrics$/, async ({ store }, q, _res, [id]) => {
    const run = await getRun(store, id);
    const keys = q.has('keys') ? list(q.get('keys')) : Object.keys(run.data.metrics);
    return { series: await metricSeries(store, run.info.runId, keys.filter((k) => k in run.data.metrics)) };
  }],
  [/^\/api\/runs\/([^/]+)\/artifacts$/, async ({ store }, q, _res, [id]) => {
    const run = await getRun(store, id);
    return { files: await listRunArtifacts(store, run, q.get('path') ?? undefined) };
  }],
  [/^\/api\/runs\/([^/]+)\/artifact$/, async ({ store }, q, res, [id]) => {
    const run = await getRun(store, id);
    const path = q.get('path') ?? '';
    const bytes = await readRunArtifact(store, run, path);
    const { type, inline } = artifactContentType(path);
    const name = path.split('/').pop()!.replace(/[^\w.-]/g, '_');
    res.writeHead(200, {
      'Content-Type': type,
      'Content-Length': bytes.length,
      'Content-Disposition': `${inline && !q.has('download') ? 'inline' : 'attachment'}; filename="${name}"`,
      // An SVG or HTML artifact opened directly must not run script with the dashboard's origin.
      'Content-Security-Policy': "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
      'Cache-Control': 'no-store',
    });
    res.end(bytes);
    return undefined;
  }],
  [/^\/api\/runs\/([^/]+)\/live$/, async (ctx, _q, res, [id]) => {
    const run = await getRun(ctx.store, id);
    streamRun(ctx.store, run.info.runId, res, ctx.live);
    return undefined;
  }],
];

/** Answers an /api/ request; returns false when no route matches. */
export async function handleApi(ctx: ApiContext, res: ServerResponse, url: URL): Promise<boolean> {
  for (const [pattern, handler] of routes) {
    const m = pattern.exec(url.pathname);
    if (!m) continue;
    try {
      const body = await handler(ctx, url.searchParams, res, m.slice(1).map(decodeURIComponent));
      if (body !== undefined) sendJson(res, 200, body);
    } catch (err) {
      if (res.headersSent) return res.end(), true;
      if (err instanceof UiError) sendJson(res, err.status, { error: err.message, code: err.code });
      else if (err instanceof StoreError) {
        const status = err.code === 'RESOURCE_DOES_NOT_EXIST' ? 404 : err.code === 'INVALID_PARAMETER_VALUE' ? 400 : 500;
        sendJson(res, status, { error: err.message, code: err.code });
      } else sendJson(res, 500, { error: err instanceof Error ? err.message : String(err), code: 'UI_ERROR' });
    }
    return true;
  }
  return false;
}
