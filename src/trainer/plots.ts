/**
 * Charts of a run as PNG artifacts: training curves (loss, validation metrics and learning rate vs step),
 * the confusion matrix as a heatmap, and ROC curves. Each chart is a Vega-Lite spec (plain data, easy to
 * test and to change), rendered headless to SVG by Vega (no canvas needed) and rasterised by resvg, so
 * nothing here needs a browser or native build tools. The libraries load on first use only.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { classColumn, rocCurve } from './metrics.js';
import type { EvalRecord, StepRecord } from './summary.js';
import type { EvalMetrics } from './types.js';

export interface RenderOptions {
  /** Pixel density: 2 renders at twice the spec's size (default 2). */
  scale?: number;
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const BASE_CONFIG = { font: FONT, background: 'white', view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, title: { fontSize: 14 } };

/** Renders a Vega-Lite spec to PNG bytes. */
export async function renderPng(spec: TopLevelSpec, options: RenderOptions = {}): Promise<Buffer> {
  const [vegaLite, vega, resvg] = await Promise.all([import('vega-lite'), import('vega'), import('@resvg/resvg-js')]);
  const { spec: compiled } = vegaLite.compile({ ...spec, config: { ...BASE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec);
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const scale = options.scale ?? 2;
    const png = new resvg.Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: 'white' }).render().asPng();
    return Buffer.from(png);
  } finally {
    view.finalize();
  }
}

/** Writes the file atomically (temp + rename) so a viewer never sees half a PNG. */
function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export interface CurveData {
  steps: readonly StepRecord[];
  evals: readonly EvalRecord[];
}

/** Loss (train per step, validation per evaluation), validation accuracy/F1/AUC, and the learning rate, vs step. */
export function trainingCurvesSpec(history: CurveData): TopLevelSpec {
  if (history.steps.length === 0 && history.evals.length === 0) throw new RangeError('training curves: the history has no steps and no evaluations');
  const loss = [
    ...history.steps.map((s) => ({ step: s.step, value: s.loss, series: 'train loss' })),
    ...history.evals.map((e) => ({ step: e.step, value: e.metrics.loss, series: 'validation loss' })),
  ];
  const scores = history.evals.flatMap((e) => [
    { step: e.step, value: e.metrics.accuracy, series: 'accuracy' },
    { step: e.step, value: e.metrics.f1, series: 'f1' },
    ...(e.metrics.rocAuc !== undefined ? [{ step: e.step, value: e.metrics.rocAuc, series: 'roc auc' }] : []),
    // Regression has no accuracy/f1 (NaN, dropped below): its R² instead.
    ...(typeof e.metrics.r2 === 'number' ? [{ step: e.step, value: e.metrics.r2, series: 'r2' }] : []),
  ]).filter((p) => Number.isFinite(p.value));
  const width = 560;
  const panel = (title: string, values: object[], y: string, extra: object = {}) => ({
    title,
    width,
    height: 200,
    data: { values },
    mark: { type: 'line', point: values.length <= 60, strokeWidth: 2 },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'optimizer step' },
      y: { field: 'value', type: 'quantitative', title: y, scale: { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'top-right', labelLimit: 300 } },
      ...extra,
    },
  });
  const panels: object[] = [panel('Loss', loss, 'loss')];
  if (scores.length) panels.push(panel('Validation metrics', scores, 'score', { y: { field: 'value', type: 'quantitative', title: 'score', scale: { domain: [0, 1] } } }));
  if (history.steps.length) {
    panels.push({
      title: 'Learning rate',
      width,
      height: 120,
      data: { values: history.steps.map((s) => ({ step: s.step, lr: s.learningRate })) },
      mark: { type: 'line', color: '#888' },
      encoding: { x: { field: 'step', type: 'quantitative', title: 'optimizer step' }, y: { field: 'lr', type: 'quantitative', title: 'learning rate', axis: { format: '.1e' } } },
    });
  }
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', vconcat: panels, resolve: { scale: { color: 'independent' } }, padding: 12 } as TopLevelSpec;
}

/** Heatmap of `matrix[true][predicted]` with the counts written in the cells. */
export function confusionMatrixSpec(matrix: number[][], classNames?: readonly string[]): TopLevelSpec {
  const k = matrix.length;
  if (k === 0 || matrix.some((row) => row.length !== k)) throw new RangeError(`confusion matrix: expected a square K × K matrix but received ${matrix.length} row(s) of lengths [${matrix.map((r) => r.length).join(', ')}]`);
  const names = classNames ?? matrix.map((_, i) => String(i));
  if (names.length !== k) throw new RangeError(`confusion matrix: ${names.length} class names for ${k} classes`);
  const max = Math.max(1, ...matrix.flat());
  const values = matrix.flatMap((row, t) => row.map((count, p) => ({ actual: names[t], predicted: names[p], count, dark: count > max / 2 })));
  const side = Math.min(560, Math.max(220, 70 * k));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confusion matrix',
    width: side,
    height: side,
    padding: 12,
    data: { values },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: [...names], title: 'predicted', axis: { labelAngle: 0 } },
      y: { field: 'actual', type: 'ordinal', sort: [...names], title: 'actual' },
    },
    layer: [
      { mark: 'rect', encoding: { color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues', domainMin: 0 }, title: 'count' } } },
      {
        mark: { type: 'text', fontSize: k <= 6 ? 16 : 11 },
        encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' } },
      },
    ],
  } as TopLevelSpec;
}

/** ROC curve of P(class 1) for two classes; one one-vs-rest curve per class for more. */
export function rocCurveSpec(labels: ArrayLike<number>, probabilities: ArrayLike<number>, numClasses: number, classNames?: readonly string[]): TopLevelSpec {
  if (probabilities.length !== labels.length * numClasses) throw new RangeError(`ROC curve: expected ${labels.length} × ${numClasses} probabilities but received ${probabilities.length}`);
  const names = classNames ?? Array.from({ length: numClasses }, (_, i) => String(i));
  const classes = numClasses === 2 ? [1] : Array.from({ length: numClasses }, (_, c) => c);
  const values: { fpr: number; tpr: number; series: string; order: number }[] = [];
  for (const c of classes) {
    const curve = rocCurve(Array.from(labels, (y) => y === c), classColumn(probabilities, numClasses, c));
    if (curve.fpr.some(Number.isNaN) || curve.tpr.some(Number.isNaN)) continue;
    let auc = 0;
    for (let i = 1; i < curve.fpr.length; i++) auc += ((curve.fpr[i] - curve.fpr[i - 1]) * (curve.tpr[i] + curve.tpr[i - 1])) / 2;
    const series = `${numClasses === 2 ? `class ${names[c]}` : `${names[c]} vs rest`} (AUC ${auc.toFixed(3)})`;
    curve.fpr.forEach((fpr, i) => values.push({ fpr, tpr: curve.tpr[i], series, order: i }));
  }
  if (values.length === 0) throw new RangeError('ROC curve: every class lacks positive or negative examples, so no curve is defined');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'ROC curve',
    width: 420,
    height: 420,
    padding: 12,
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'false positive rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'true positive rate', scale: { domain: [0, 1] } },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom-right', labelLimit: 400 } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
    ],
  } as TopLevelSpec;
}

export async function plotTrainingCurves(history: CurveData, path: string, options?: RenderOptions): Promise<string> {
  writeFileAtomic(path, await renderPng(trainingCurvesSpec(history), options));
  return path;
}

export async function plotConfusionMatrix(matrix: number[][], path: string, classNames?: readonly string[], options?: RenderOptions): Promise<string> {
  writeFileAtomic(path, await renderPng(confusionMatrixSpec(matrix, classNames), options));
  return path;
}

export async function plotRocCurve(
  data: { labels: ArrayLike<number>; probabilities: ArrayLike<number>; numClasses: number },
  path: string,
  classNames?: readonly string[],
  options?: RenderOptions,
): Promise<string> {
  writeFileAtomic(path, await renderPng(rocCurveSpec(data.labels, data.probabilities, data.numClasses, classNames), options));
  return path;
}

/**
 * Every chart the inputs allow, into `dir` (training_curves.png, confusion_matrix.png, roc_curve.png);
 * returns the written paths (to log as run artifacts). `evaluation` is evaluateDetailed()'s result (or
 * just `{ metrics }` for the confusion matrix alone); a ROC curve that is undefined is skipped.
 */
export async function writeRunPlots(
  dir: string,
  input: {
    history?: CurveData;
    evaluation?: { metrics: Pick<EvalMetrics, 'confusionMatrix'>; labels?: ArrayLike<number>; probabilities?: ArrayLike<number> };
    classNames?: readonly string[];
  },
  options?: RenderOptions,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  if (input.history && (input.history.steps.length || input.history.evals.length)) written.push(await plotTrainingCurves(input.history, join(dir, 'training_curves.png'), options));
  const e = input.evaluation;
  if (e) {
    const matrix = e.metrics.confusionMatrix;
    written.push(await plotConfusionMatrix(matrix, join(dir, 'confusion_matrix.png'), input.classNames, options));
    if (e.labels && e.probabilities) {
      try {
        written.push(await plotRocCurve({ labels: e.labels, probabilities: e.probabilities, numClasses: matrix.length }, join(dir, 'roc_curve.png'), input.classNames, options));
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
      }
    }
  }
  return written;
}
