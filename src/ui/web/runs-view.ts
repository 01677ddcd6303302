/**
 * An experiment's runs: MLflow filter syntax (checked by the server's grammar), sorting by any column
 * (done by the store, so MLflow's ordering rules hold), a column picker for params and metrics, sweep
 * trials nested under their parent run, and a selection to compare.
 */
import { api, type RunRow } from './api';
import { clear, filterKey, formatDuration, formatNumber, formatTime, h, statusBadge } from './dom';

export interface RunsQuery {
  experimentId: string;
  filter: string;
  order: string;
}

interface Column {
  id: string;
  label: string;
  /** The order-by key the store understands. */
  orderKey: string;
  cell: (r: RunRow) => Node | string;
}

const chosenColumns = new Map<string, string[]>();

function defaultColumns(runs: RunRow[]): string[] {
  const metrics = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))]
    .filter((k) => k.startsWith('val_') || k === 'train_loss').sort().slice(0, 4);
  // Params that differ between runs say what a sweep varied.
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const varying = paramKeys.filter((k) => new Set(runs.map((r) => r.params[k])).size > 1).slice(0, 3);
  return [...varying.map((k) => `params:${k}`), ...metrics.map((k) => `metrics:${k}`)];
}

function keyColumn(id: string): Column {
  const [kind, key] = [id.slice(0, id.indexOf(':')), id.slice(id.indexOf(':') + 1)] as ['params' | 'metrics', string];
  return {
    id,
    label: key,
    orderKey: filterKey(kind, key),
    cell: (r) => (kind === 'metrics' ? formatNumber(r.metrics[key]) : (r.params[key] ?? '')),
  };
}

const fixedColumns: Column[] = [
  { id: 'name', label: 'run', orderKey: 'attributes.run_name', cell: (r) => h('a', { href: `#/runs/${r.runId}`, class: 'run-link' }, r.runName || r.runId.slice(0, 8)) },
  { id: 'status', label: 'status', orderKey: 'attributes.status', cell: (r) => statusBadge(r.status) },
  { id: 'start', label: 'started', orderKey: 'attributes.start_time', cell: (r) => formatTime(r.startTime) },
  { id: 'duration', label: 'duration', orderKey: 'attributes.end_time', cell: (r) => formatDuration(r.startTime, r.endTime) },
];

/** Parents first, each followed by its trials; a trial whose parent is not in the list stands alone. */
export function nest(runs: RunRow[]): { row: RunRow; depth: number; childCount: number }[] {
  const ids = new Set(runs.map((r) => r.runId));
  const children = new Map<string, RunRow[]>();
  for (const r of runs) if (r.parentRunId && ids.has(r.parentRunId)) children.set(r.parentRunId, [...(children.get(r.parentRunId) ?? []), r]);
  const out: { row: RunRow; depth: number; childCount: number }[] = [];
  const visit = (r: RunRow, depth: number) => {
    out.push({ row: r, depth, childCount: children.get(r.runId)?.length ?? 0 });
    for (const c of children.get(r.runId) ?? []) visit(c, depth + 1);
  };
  for (const r of runs) if (!(r.parentRunId && ids.has(r.parentRunId))) visit(r, 0);
  return out;
}

export async function renderRuns(view: HTMLElement, query: RunsQuery, navigate: (q: RunsQuery) => void): Promise<void> {
  clear(view);
  const filterInput = h('input', { type: 'search', name: 'filter', class: 'filter', value: query.filter, spellcheck: 'false',
    placeholder: "metrics.val_accuracy > 0.8 and params.`training.learning_rate` = '0.001'" });
  const error = h('div', { class: 'error', role: 'alert' });
  const form = h('form', { class: 'filter-bar' }, filterInput, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => { e.preventDefault(); navigate({ ...query, filter: filterInput.value.trim() }); });
  const compareButton = h('button', { type: 'button', class: 'compare', disabled: true }, 'Compare');
  const columnsButton = h('button', { type: 'button', class: 'columns-button' }, 'Columns');
  const picker = h('div', { class: 'column-picker', hidden: true });
  const count = h('span', { class: 'count' });
  const table = h('table', { class: 'runs' });
  view.append(h('div', { class: 'toolbar' }, form, columnsButton, compareButton, count), error, picker, table);

  let result: { runs: RunRow[]; nextPageToken?: string };
  try {
    result = await api('runs', { experiments: query.experimentId, filter: query.filter || undefined, order: query.order || undefined, max: '1000' });
  } catch (err) {
    error.textContent = (err as Error).message;
    return;
  }
  const runs = result.runs;
  count.textContent = `${runs.length}${result.nextPageToken ? '+' : ''} runs`;
  const columnIds = chosenColumns.get(query.experimentId) ?? defaultColumns(runs);
  const selected = new Set<string>();
  const collapsed = new Set<string>();

  const updateCompare = () => {
    compareButton.disabled = selected.size < 2 || selected.size > 10;
    compareButton.textContent = `Compare (${selected.size})`;
  };
  compareButton.addEventListener('click', () => { location.hash = `#/compare/${[...selected].join(',')}`; });

  const draw = () => {
    clear(table);
    const columns = [...fixedColumns, ...columnIds.map(keyColumn)];
    const [orderKey, orderDir] = query.order ? [query.order.replace(/\s+(ASC|DESC)$/i, ''), /DESC$/i.test(query.order) ? 'DESC' : 'ASC'] : ['attributes.start_time', 'DESC'];
    const head = h('tr', {}, h('th', {}, ''), ...columns.map((c) => {
      const active = c.orderKey === orderKey;
      const th = h('th', { class: active ? `sorted ${orderDir.toLowerCase()}` : undefined, 'data-column': c.id, title: `sort by ${c.orderKey}` }, c.label, active ? (orderDir === 'DESC' ? ' ▼' : ' ▲') : '');
      th.addEventListener('click', () => navigate({ ...query, order: `${c.orderKey} ${active && orderDir === 'DESC' ? 'ASC' : 'DESC'}` }));
      return th;
    }));
    const body = h('tbody');
    const byId = new Map(runs.map((r) => [r.runId, r]));
    for (const { row, depth, childCount } of nest(runs)) {
      if (row.parentRunId && hiddenByCollapse(row, byId, collapsed)) continue;
      const box = h('input', { type: 'checkbox', 'aria-label': `select ${row.runName}`, checked: selected.has(row.runId) });
      box.addEventListener('change', () => { if (box.checked) selected.add(row.runId); else selected.delete(row.runId); updateCompare(); });
      const cells = columns.map((c) => h('td', { 'data-column': c.id }, c.cell(row)));
      if (depth > 0) cells[0].classList.add(`depth-${Math.min(depth, 3)}`);
      if (childCount) {
        const toggle = h('button', { type: 'button', class: 'toggle', 'aria-label': 'show trials' }, collapsed.has(row.runId) ? '▸' : '▾', ` ${childCount}`);
        toggle.addEventListener('click', () => { if (collapsed.has(row.runId)) collapsed.delete(row.runId); else collapsed.add(row.runId); draw(); });
        cells[0].prepend(toggle);
      }
      body.append(h('tr', { 'data-run-id': row.runId, class: depth ? 'child' : undefined }, h('td', {}, box), ...cells));
    }
    table.append(h('thead', {}, head), body);
  };

  const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
  const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const pickerGroup = (kind: 'params' | 'metrics', keys: string[]) => h('fieldset', {}, h('legend', {}, kind),
    ...keys.map((k) => {
      const id = `${kind}:${k}`;
      const box = h('input', { type: 'checkbox', name: id, checked: columnIds.includes(id) });
      box.addEventListener('change', () => {
        const at = columnIds.indexOf(id);
        if (box.checked && at < 0) columnIds.push(id);
        if (!box.checked && at >= 0) columnIds.splice(at, 1);
        chosenColumns.set(query.experimentId, columnIds);
        draw();
      });
      return h('label', {}, box, k);
    }));
  picker.append(pickerGroup('metrics', metricKeys), pickerGroup('params', paramKeys));
  columnsButton.addEventListener('click', () => { picker.hidden = !picker.hidden; });
  draw();
  updateCompare();
}

function hiddenByCollapse(row: RunRow, byId: Map<string, RunRow>, collapsed: Set<string>): boolean {
  for (let p = row.parentRunId; p; p = byId.get(p)?.parentRunId ?? null) if (collapsed.has(p)) return true;
  return false;
}
