/**
 * One run: its curves (live while it runs), system figures, params, tags, the resolved config, artifacts
 * (images inline, other files as downloads) and, for a sweep's parent, its trials in parallel coordinates.
 */
import { api, artifactUrl, type FileInfo, type RunDetail, type Series } from './api';
import { chartControls, MetricChart, type XMode } from './chart';
import { clear, formatDuration, formatNumber, formatTime, h, statusBadge } from './dom';
import { parallelCoordinates } from './parcoords';

/** System figures: MLflow's system/ prefix plus the throughput the trainer logs per step. */
export const isSystemMetric = (key: string) => key.startsWith('system/') || /^(samples|tokens)_per_second$|^step_time_ms$/.test(key);
const IMAGE = /\.(png|jpe?g|gif|svg)$/i;

let closeLive: (() => void) | null = null;

export function stopLive(): void {
  closeLive?.();
  closeLive = null;
}

function keyValueTable(entries: [string, string][], cls: string): HTMLTableElement {
  return h('table', { class: `kv ${cls}` }, h('tbody', {}, ...entries.sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v)))));
}

async function artifactList(runId: string, path: string | undefined, into: HTMLElement): Promise<void> {
  const { files } = await api<{ files: FileInfo[] }>(`runs/${runId}/artifacts`, { path });
  const list = h('ul', { class: 'artifacts' });
  for (const f of files) {
    const name = f.path.split('/').pop()!;
    if (f.isDir) {
      const item = h('li', { class: 'dir' });
      const open = h('button', { type: 'button', class: 'link' }, `${name}/`);
      open.addEventListener('click', () => { open.disabled = true; void artifactList(runId, f.path, item); });
      item.append(open);
      list.append(item);
      // Plots are what people open first: show them without a click.
      if (name === 'plots') { open.disabled = true; void artifactList(runId, f.path, item); }
    } else if (IMAGE.test(name)) {
      list.append(h('li', { class: 'image' }, h('a', { href: artifactUrl(runId, f.path, true), download: name }, name),
        h('img', { src: artifactUrl(runId, f.path), alt: f.path, loading: 'lazy' })));
    } else {
      list.append(h('li', {}, h('a', { href: artifactUrl(runId, f.path, true), download: name }, name), h('span', { class: 'size' }, ` ${f.fileSize ?? 0} B`)));
    }
  }
  if (!files.length) list.append(h('li', { class: 'empty' }, 'no artifacts'));
  into.append(list);
}

export async function renderRun(view: HTMLElement, runId: string): Promise<void> {
  clear(view);
  const detail = await api<RunDetail>(`runs/${runId}`);
  const { row } = detail;
  const status = statusBadge(row.status);
  const parent = row.parentRunId ? h('a', { href: `#/runs/${row.parentRunId}` }, 'parent run') : null;
  view.append(
    h('h1', {}, row.runName || row.runId, ' ', status),
    h('p', { class: 'meta' }, h('a', { href: `#/experiments/${row.experimentId}` }, 'experiment'), ` · ${row.runId} · started ${formatTime(row.startTime)} · ${formatDuration(row.startTime, row.endTime)} `, parent),
  );

  const keys = Object.keys(row.metrics).sort();
  const series: Record<string, Series> = {};
  const charts = new Map<string, MetricChart>();
  let x: XMode = 'step';
  let weight = 0;
  const trainingGrid = h('div', { class: 'charts' });
  const systemGrid = h('div', { class: 'charts' });
  const metricsSection = h('section', { class: 'metrics' }, h('h2', {}, 'Metrics'),
    chartControls((nx, nw) => { x = nx; weight = nw; for (const c of charts.values()) c.update({ x, weight }); }), trainingGrid);
  // A sweep's parent often logs nothing itself; a live run may not have logged yet but will.
  if (keys.length || row.status === 'RUNNING') view.append(metricsSection);
  const systemSection = h('section', { class: 'system' }, h('h2', {}, 'System'), systemGrid);

  const drawChart = (key: string) => {
    const lines = [{ label: row.runName || row.runId, series: series[key], origin: row.startTime }];
    const existing = charts.get(key);
    if (existing) {
      existing.update({ lines });
    } else {
      const chart = new MetricChart(key, lines, x, weight);
      if (isSystemMetric(key) && !systemSection.isConnected) metricsSection.after(systemSection);
      (isSystemMetric(key) ? systemGrid : trainingGrid).append(chart.el);
      chart.mount();
      charts.set(key, chart);
    }
    charts.get(key)!.el.dataset.points = String(series[key].step.length);
  };

  if (row.status === 'RUNNING') {
    const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/live`);
    closeLive = () => source.close();
    source.addEventListener('reset', (e) => { delete series[JSON.parse((e as MessageEvent).data).key]; });
    source.addEventListener('points', (e) => {
      const fresh = JSON.parse((e as MessageEvent).data) as Record<string, Series>;
      for (const [key, s] of Object.entries(fresh)) {
        const into = (series[key] ??= { step: [], time: [], value: [] });
        into.step.push(...s.step); into.time.push(...s.time); into.value.push(...s.value);
        drawChart(key);
      }
    });
    source.addEventListener('status', (e) => {
      const { status: now, endTime } = JSON.parse((e as MessageEvent).data) as { status: string; endTime: number | null };
      status.textContent = now;
      status.className = `status status-${now.toLowerCase()}`;
      if (now !== 'RUNNING') { source.close(); row.endTime = endTime; }
    });
  } else {
    const loaded = await api<{ series: Record<string, Series> }>(`runs/${runId}/metrics`);
    Object.assign(series, loaded.series);
    for (const key of keys) if (series[key]) drawChart(key);
  }

  const paramsSection = h('section', { class: 'params' }, h('h2', {}, 'Parameters'), keyValueTable(Object.entries(row.params), 'params'));
  const latest = h('section', { class: 'latest' }, h('h2', {}, 'Latest metrics'), keyValueTable(Object.entries(row.metrics).map(([k, v]) => [k, formatNumber(v)]), 'latest-metrics'));
  const tags = h('section', { class: 'tags' }, h('h2', {}, 'Tags'), keyValueTable(Object.entries(detail.tags), 'tags'));
  const config = detail.configYaml ? h('section', { class: 'config' }, h('h2', {}, 'Config'), h('pre', { class: 'yaml' }, detail.configYaml)) : null;
  const artifacts = h('section', { class: 'artifacts-section' }, h('h2', {}, 'Artifacts'));
  view.append(h('div', { class: 'columns' }, latest, paramsSection), config ?? '', tags, artifacts);
  void artifactList(runId, undefined, artifacts).catch((err) => artifacts.append(h('p', { class: 'error' }, (err as Error).message)));

  if (detail.children.length) {
    const metricChoices = [...new Set(detail.children.flatMap((c) => Object.keys(c.metrics)))].filter((k) => !isSystemMetric(k)).sort();
    const select = h('select', { name: 'sweep-metric', 'aria-label': 'colour by metric' }, ...metricChoices.map((k) => h('option', { value: k }, k)));
    const preferred = metricChoices.find((k) => k.startsWith('val_accuracy')) ?? metricChoices.find((k) => k.startsWith('val_')) ?? metricChoices[0];
    if (preferred) select.value = preferred;
    const plot = h('div', { class: 'parcoords-box' });
    const draw = () => { clear(plot); plot.append(parallelCoordinates(detail.children, select.value)); };
    select.addEventListener('change', draw);
    const trialLinks = h('ul', { class: 'trials' }, ...detail.children.map((c) => h('li', {}, h('a', { href: `#/runs/${c.runId}` }, c.runName || c.runId), ' ', statusBadge(c.status), select.value ? ` ${formatNumber(c.metrics[select.value])}` : '')));
    view.insertBefore(h('section', { class: 'sweep' }, h('h2', {}, `Sweep: ${detail.children.length} trials`), select, plot, trialLinks), view.querySelector('h1 + .meta')!.nextSibling);
    draw();
  }
}
