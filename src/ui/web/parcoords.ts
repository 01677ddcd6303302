/**
 * Parallel coordinates for a sweep: one vertical axis per param that varies across the trials (numeric
 * axes scaled linearly, others as evenly spaced categories) and a last axis for the chosen metric; one
 * line per trial, coloured from low (blue) to high (red) on that metric.
 */
import type { RunRow } from './api';
import { formatNumber } from './dom';

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

interface Axis {
  label: string;
  /** Position in [0, 1] (0 = bottom) for a trial; null when the trial has no value. */
  at: (r: RunRow) => number | null;
  ticks: [number, string][];
}

function axisFor(label: string, values: (string | number | undefined)[], get: (r: RunRow) => string | number | undefined): Axis {
  const present = values.filter((v): v is string | number => v !== undefined && v !== '');
  const numeric = present.every((v) => typeof v === 'number' || (v.trim() !== '' && Number.isFinite(Number(v))));
  if (numeric && present.length) {
    const nums = present.map(Number);
    const [lo, hi] = [Math.min(...nums), Math.max(...nums)];
    const span = hi - lo || 1;
    const pos = (v: number) => (hi === lo ? 0.5 : (v - lo) / span);
    return { label, at: (r) => { const v = get(r); return v === undefined || v === '' ? null : pos(Number(v)); }, ticks: [[pos(lo), formatNumber(lo)], [pos(hi), formatNumber(hi)]] };
  }
  const categories = [...new Set(present.map(String))].sort();
  const pos = (c: string) => (categories.length === 1 ? 0.5 : categories.indexOf(c) / (categories.length - 1));
  return { label, at: (r) => { const v = get(r); return v === undefined ? null : pos(String(v)); }, ticks: categories.map((c) => [pos(c), c]) };
}

export function parallelCoordinates(trials: RunRow[], metric: string): SVGSVGElement {
  const paramKeys = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort()
    .filter((k) => new Set(trials.map((t) => t.params[k])).size > 1);
  const axes = paramKeys.map((k) => axisFor(k, trials.map((t) => t.params[k]), (r) => r.params[k]));
  if (metric) axes.push(axisFor(metric, trials.map((t) => t.metrics[metric]), (r) => r.metrics[metric]));
  const width = Math.max(480, axes.length * 140);
  const height = 300;
  const [top, bottom, side] = [36, 24, 60];
  const xAt = (i: number) => side + (axes.length === 1 ? 0 : (i * (width - 2 * side)) / (axes.length - 1));
  const yAt = (p: number) => top + (1 - p) * (height - top - bottom);
  const root = svg('svg', { class: 'parcoords', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `parallel coordinates of ${trials.length} trials` });
  const metricAxis = metric ? axes[axes.length - 1] : null;
  for (const t of trials) {
    const pts = axes.map((a, i) => { const p = a.at(t); return p === null ? null : `${xAt(i).toFixed(1)},${yAt(p).toFixed(1)}`; }).filter(Boolean);
    const heat = metricAxis?.at(t) ?? 0.5;
    const line = svg('polyline', { points: pts.join(' '), fill: 'none', 'stroke-width': 1.5, 'stroke-opacity': 0.75,
      stroke: `rgb(${Math.round(40 + 200 * heat)}, 70, ${Math.round(240 - 200 * heat)})`, class: 'trial', 'data-run-id': t.runId });
    line.append(svg('title', {}, `${t.runName}: ${metric} ${formatNumber(t.metrics[metric])}`));
    root.append(line);
  }
  axes.forEach((a, i) => {
    const x = xAt(i);
    root.append(svg('line', { x1: x, x2: x, y1: top, y2: height - bottom, stroke: '#374151', 'stroke-width': 1 }));
    root.append(svg('text', { x, y: top - 16, 'text-anchor': 'middle', class: 'axis-label' }, a.label));
    for (const [p, text] of a.ticks) root.append(svg('text', { x: x + 4, y: yAt(p) + 4, class: 'tick' }, text));
  });
  return root;
}
