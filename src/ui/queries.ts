/**
 * What the dashboard asks of the store, written against the `TrackingClient` interface only, so a SQLite
 * file and an MLflow server answer the same way. Filters and orderings go through our own grammar
 * (src/tracking/search) before the store sees them: the browser never sends SQL.
 */
import { UiError } from '../errors.js';
import { parseFilter, parseOrderBy } from '../tracking/search/filter.js';
import type { Experiment, Metric, Run, TrackingClient } from '../tracking/index.js';
import type { RunRow, Series } from './wire.js';

export const PARENT_TAG = 'mlflow.parentRunId';

export async function listExperiments(store: TrackingClient): Promise<Experiment[]> {
  const out: Experiment[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchExperiments({ maxResults: 1000, pageToken, orderBy: ['last_update_time DESC'] });
    out.push(...page.experiments);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return out;
}

export interface RunSearch {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
}

/** Parses with our grammar first so a bad filter is a 400 naming the problem, whatever the backend. */
function checkSearch(search: RunSearch): void {
  try {
    parseFilter(search.filter ?? '');
    for (const o of search.orderBy ?? []) parseOrderBy(o);
  } catch (err) {
    throw new UiError(err instanceof Error ? err.message : String(err), 400, 'UI_BAD_FILTER');
  }
  const max = search.maxResults ?? 1000;
  if (!Number.isInteger(max) || max < 1 || max > 50_000) throw new UiError(`max: expected an integer in 1..50000 but received ${max}`, 400);
}

export function toRow(run: Run): RunRow {
  return {
    runId: run.info.runId,
    runName: run.info.runName,
    experimentId: run.info.experimentId,
    status: run.info.status,
    startTime: run.info.startTime,
    endTime: run.info.endTime,
    parentRunId: run.data.tags[PARENT_TAG] ?? null,
    metrics: run.data.metrics,
    params: run.data.params,
  };
}

export async function searchRunRows(store: TrackingClient, search: RunSearch): Promise<{ runs: RunRow[]; nextPageToken?: string }> {
  checkSearch(search);
  const page = await store.searchRuns(search.experimentIds, {
    filterString: search.filter ?? '',
    orderBy: search.orderBy?.length ? search.orderBy : ['attributes.start_time DESC'],
    maxResults: search.maxResults ?? 1000,
    pageToken: search.pageToken,
  });
  return { runs: page.runs.map(toRow), nextPageToken: page.nextPageToken };
}

/** Child runs (sweep trials) of one parent, found through the parent tag MLflow sets on nested runs. */
export async function childRuns(store: TrackingClient, parent: Run): Promise<RunRow[]> {
  // Backquoted: an MLflow server does not read a dotted tag key without them.
  const filter = `tags.\`${PARENT_TAG}\` = '${parent.info.runId.replace(/'/g, '')}'`;
  const { runs } = await searchRunRows(store, { experimentIds: [parent.info.experimentId], filter, maxResults: 10_000 });
  return runs;
}


export function toSeries(points: Metric[]): Series {
  const s: Series = { step: [], time: [], value: [] };
  for (const p of points) {
    s.step.push(p.step);
    s.time.push(p.timestamp);
    // JSON has no NaN/Infinity: a gap in the curve is what they should look like.
    s.value.push(Number.isFinite(p.value) ? p.value : null);
  }
  return s;
}

export async function metricSeries(store: TrackingClient, runId: string, keys: string[]): Promise<Record<string, Series>> {
  const out: Record<string, Series> = {};
  await Promise.all(keys.map(async (k) => { out[k] = toSeries(await store.getMetricHistory(runId, k)); }));
  return out;
}
