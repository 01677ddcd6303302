/** `mlx-train runs [list|show|compare]`: runs from the store, filtered with MLflow's search syntax. */
import { hostname } from 'node:os';
import type { Run } from '../tracking/index.js';
import { printJson, UsageError } from './output.js';
import { experimentIds, formatNumber, formatTime, openExistingStore, withUserInput } from './store.js';
import { printTable } from './table.js';

function duration(run: Run): string {
  if (!run.info.endTime) return '';
  const s = (run.info.endTime - run.info.startTime) / 1000;
  return s < 120 ? `${s.toFixed(1)}s` : `${(s / 60).toFixed(1)}m`;
}

/**
 * The status to show: a RUNNING run started on this host whose process (tag mlx_train.pid) no longer
 * exists was killed without ending it (kill -9, power loss) and is shown as stale. Only shown: a read
 * command never rewrites the store. A run from another host cannot be checked and stays RUNNING.
 */
export function displayStatus(run: Run): string {
  if (run.info.status !== 'RUNNING') return run.info.status;
  const pid = Number(run.data.tags['mlx_train.pid']);
  if (run.data.tags['mlx_train.host'] !== hostname() || !Number.isInteger(pid) || pid <= 0) return run.info.status;
  try {
    process.kill(pid, 0);
    return run.info.status;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? 'RUNNING (stale)' : run.info.status;
  }
}

/** MLflow's SEARCH_MAX_RESULTS_THRESHOLD: the most runs one search returns. */
const MAX_RESULTS = 50_000;

export async function run(opts: Record<string, unknown>, args: string[]): Promise<void> {
  const [action = 'list', ...ids] = args;
  const store = await openExistingStore(opts);
  try {
    if (action === 'list') {
      const experiments = await experimentIds(store, opts.experiment as string | undefined);
      const max = Number(opts.max ?? 50);
      if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) {
        throw new UsageError(`--max: expected an integer from 1 to ${MAX_RESULTS} but received '${opts.max}'`);
      }
      const { runs } = await withUserInput('-f/--filter or -o/--order-by', () => store.searchRuns(experiments, {
        filterString: (opts.filter as string | undefined) ?? '',
        orderBy: (opts.orderBy as string[] | undefined)?.length ? (opts.orderBy as string[]) : ['attributes.start_time DESC'],
        maxResults: max,
      }));
      if (opts.json) return printJson(runs);
      const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.data.metrics)))]
        .filter((k) => k.startsWith('val_') || k === 'train_loss').sort().slice(0, 4);
      printTable(
        ['run id', 'name', 'status', 'started', 'duration', ...metricKeys],
        runs.map((r) => [r.info.runId, r.info.runName, displayStatus(r), formatTime(r.info.startTime), duration(r),
          ...metricKeys.map((k) => (k in r.data.metrics ? formatNumber(r.data.metrics[k]) : ''))]),
      );
      return;
    }
    if (action === 'show') {
      if (ids.length !== 1) throw new UsageError('runs show: expected exactly one RUN_ID');
      const r = await withUserInput('RUN_ID', () => store.getRun(ids[0]));
      if (opts.json) return printJson(r);
      printTable(['field', 'value'], [
        ['run id', r.info.runId], ['name', r.info.runName], ['experiment id', r.info.experimentId],
        ['status', displayStatus(r)], ['started', formatTime(r.info.startTime)], ['ended', formatTime(r.info.endTime)],
        ['artifacts', r.info.artifactUri],
      ]);
      const section = (title: string, entries: [string, string][]) => {
        if (!entries.length) return;
        process.stdout.write(`\n${title}\n`);
        printTable(['key', 'value'], entries.sort(([a], [b]) => a.localeCompare(b)));
      };
      section('metrics (latest)', Object.entries(r.data.metrics).map(([k, v]) => [k, formatNumber(v)]));
      section('params', Object.entries(r.data.params));
      section('tags', Object.entries(r.data.tags).filter(([k]) => !k.startsWith('mlflow.log-model')));
      return;
    }
    if (action === 'compare') {
      if (ids.length < 2) throw new UsageError('runs compare: expected at least two RUN_IDs');
      const runs = await withUserInput('RUN_ID', () => Promise.all(ids.map((id) => store.getRun(id))));
      if (opts.json) return printJson(runs);
      const keys = (pick: (r: Run) => Record<string, string | number>) => [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
      const rows: (string | number)[][] = [];
      for (const k of keys((r) => r.data.metrics)) rows.push([`metrics.${k}`, ...runs.map((r) => (k in r.data.metrics ? formatNumber(r.data.metrics[k]) : ''))]);
      for (const k of keys((r) => r.data.params)) {
        const values = runs.map((r) => r.data.params[k] ?? '');
        if (opts.all || new Set(values).size > 1) rows.push([`params.${k}`, ...values]);
      }
      printTable(['', ...runs.map((r) => r.info.runName || r.info.runId.slice(0, 8))], rows);
      return;
    }
    throw new UsageError(`runs: unknown action '${action}' (expected list, show or compare)`);
  } finally {
    await store.close();
  }
}
