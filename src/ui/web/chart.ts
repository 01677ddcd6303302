/**
 * Metric curves on uPlot: one chart per metric, one line per run. x is the step or the seconds since the
 * run started; smoothing is an exponential moving average with bias correction (TensorBoard's rule, so
 * the first points are not pulled towards 0). Drag to zoom, double-click to reset (uPlot's own cursor).
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from './api';
import { h } from './dom';

export type XMode = 'step' | 'time';

export interface Line {
  label: string;
  series: Series;
  /** Run start (epoch ms): the origin of the time axis. */
  origin: number;
  color?: string;
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

export function smooth(values: (number | null)[], weight: number): (number | null)[] {
  if (weight <= 0) return values;
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v === null) return null;
    last = last * weight + (1 - weight) * v;
    n += 1;
    return last / (1 - weight ** n);
  });
}

/** One line as an x-sorted table; a repeated x keeps its last value. */
function table(line: Line, x: XMode, weight: number): [number[], (number | null)[]] {
  const xs = x === 'step' ? line.series.step : line.series.time.map((t) => (t - line.origin) / 1000);
  const byX = new Map<number, number | null>();
  xs.forEach((xv, i) => byX.set(xv, line.series.value[i]));
  const sorted = [...byX.keys()].sort((a, b) => a - b);
  return [sorted, smooth(sorted.map((k) => byX.get(k)!), weight)];
}

export function alignedData(lines: Line[], x: XMode, weight: number): uPlot.AlignedData {
  const tables = lines.map((l) => table(l, x, weight));
  if (tables.length === 1) return tables[0] as uPlot.AlignedData;
  return uPlot.join(tables as unknown as uPlot.AlignedData[]);
}

export class MetricChart {
  readonly el: HTMLDivElement;
  private plot: uPlot | null = null;

  constructor(readonly title: string, private lines: Line[], private x: XMode, private weight: number) {
    this.el = h('div', { class: 'chart', 'data-metric': title });
  }

  /** Draws into the element once it is in the document (uPlot measures nothing, but width comes from layout). */
  mount(): void {
    const width = Math.max(280, this.el.clientWidth || 420);
    const opts: uPlot.Options = {
      title: this.title,
      width,
      height: 220,
      scales: { x: { time: false } },
      axes: [{ label: this.x === 'step' ? 'step' : 'time (s)', size: 40 }, { size: 60 }],
      series: [
        { label: this.x },
        ...this.lines.map((l, i) => ({ label: l.label, stroke: l.color ?? PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false } })),
      ],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
    };
    this.plot = new uPlot(opts, alignedData(this.lines, this.x, this.weight), this.el);
  }

  update(options: { x?: XMode; weight?: number; lines?: Line[] } = {}): void {
    const xChanged = options.x !== undefined && options.x !== this.x;
    if (options.x !== undefined) this.x = options.x;
    if (options.weight !== undefined) this.weight = options.weight;
    if (options.lines) this.lines = options.lines;
    if (!this.plot) return;
    if (xChanged) {
      this.plot.destroy();
      this.mount();
      return;
    }
    this.plot.setData(alignedData(this.lines, this.x, this.weight));
  }

  /** How many points the chart holds (the browser tests read it through data-points). */
  get points(): number {
    return this.lines.reduce((n, l) => n + l.series.step.length, 0);
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = null;
  }
}

/** The x / smoothing controls shared by every chart of a page. */
export function chartControls(onChange: (x: XMode, weight: number) => void): HTMLDivElement {
  let x: XMode = 'step';
  let weight = 0;
  const select = h('select', { name: 'x', 'aria-label': 'x axis' }, h('option', { value: 'step' }, 'x = step'), h('option', { value: 'time' }, 'x = time'));
  const slider = h('input', { type: 'range', name: 'smoothing', min: 0, max: 0.99, step: 0.01, value: 0, 'aria-label': 'smoothing' });
  const shown = h('span', { class: 'smoothing-value' }, '0');
  select.addEventListener('change', () => { x = select.value as XMode; onChange(x, weight); });
  slider.addEventListener('input', () => { weight = Number(slider.value); shown.textContent = slider.value; onChange(x, weight); });
  return h('div', { class: 'chart-controls' }, select, h('label', {}, 'smoothing ', slider, shown), h('span', { class: 'hint' }, 'drag to zoom, double-click to reset'));
}
