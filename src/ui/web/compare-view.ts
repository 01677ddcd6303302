/** 2 to 10 runs side by side: overlaid curves per metric and the params that differ (or all of them). */
import { api, type RunDetail, type Series } from './api';
import { chartControls, MetricChart, PALETTE } from './chart';
import { clear, formatNumber, h } from './dom';

export async function renderCompare(view: HTMLElement, runIds: string[]): Promise<void> {
  clear(view);
  if (runIds.length < 2 || runIds.length > 10) {
    view.append(h('p', { class: 'error' }, `compare takes 2 to 10 runs; got ${runIds.length}`));
    return;
  }
  const details = await Promise.all(runIds.map((id) => api<RunDetail>(`runs/${id}`)));
  const rows = details.map((d) => d.row);
  const names = rows.map((r) => r.runName || r.runId.slice(0, 8));
  const histories = await Promise.all(runIds.map((id) => api<{ series: Record<string, Series> }>(`runs/${id}/metrics`)));
  view.append(h('h1', {}, `Compare ${rows.length} runs`));
  view.append(h('p', { class: 'legend' }, ...names.map((n, i) => h('span', { class: `swatch swatch-${i}` }, h('a', { href: `#/runs/${rows[i].runId}` }, n)))));

  const paramKeys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort();
  const showAll = h('input', { type: 'checkbox', name: 'show-all' });
  const diff = h('table', { class: 'params-diff' });
  const drawDiff = () => {
    clear(diff);
    diff.append(h('thead', {}, h('tr', {}, h('th', {}, 'param'), ...names.map((n) => h('th', {}, n)))));
    const body = h('tbody');
    for (const k of paramKeys) {
      const values = rows.map((r) => r.params[k] ?? '');
      const differs = new Set(values).size > 1;
      if (differs || showAll.checked) body.append(h('tr', { class: differs ? 'differs' : undefined }, h('th', {}, k), ...values.map((v) => h('td', {}, v))));
    }
    const metricKeys = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
    for (const k of metricKeys) body.append(h('tr', { class: 'metric' }, h('th', {}, `metrics.${k}`), ...rows.map((r) => h('td', {}, formatNumber(r.metrics[k])))));
    diff.append(body);
  };
  showAll.addEventListener('change', drawDiff);
  drawDiff();

  const grid = h('div', { class: 'charts' });
  const charts: MetricChart[] = [];
  view.append(h('section', {}, h('h2', {}, 'Metrics'), chartControls((x, weight) => charts.forEach((c) => c.update({ x, weight }))), grid));
  view.append(h('section', {}, h('h2', {}, 'Parameters'), h('label', {}, showAll, ' show equal params too'), diff));
  const keys = [...new Set(histories.flatMap((hst) => Object.keys(hst.series)))].sort();
  for (const key of keys) {
    const lines = histories.flatMap((hst, i) => (hst.series[key] ? [{ label: names[i], series: hst.series[key], origin: rows[i].startTime, color: PALETTE[i] }] : []));
    const chart = new MetricChart(key, lines, 'step', 0);
    grid.append(chart.el);
    chart.el.dataset.lines = String(lines.length);
    chart.mount();
    charts.push(chart);
  }
}
