/**
 * The end of a sweep: the trials ranked, the best trial's config as a ready YAML (`train -c` trains it
 * again), a parallel-coordinates plot and a parameter-importance plot (PNG, through the trainer's Vega-Lite
 * renderer), all logged to the sweep run with its best value, best trial and epoch budget.
 *
 * Importance is the correlation ratio η² of the objective on each parameter: the share of the objective's
 * variance across complete trials explained by the parameter's groups (its values for a list, its
 * quartiles for a range). It is a first-order, main-effect measure (fANOVA's first-order term without the
 * random forest), so it says which single knob mattered, not how knobs interact; with few trials it is noisy.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { configToYaml } from '../config/load.js';
import type { TrainingConfig } from '../config/schema.js';
import { renderPng } from '../trainer/plots.js';
import type { Ctx, SweepResult } from './runner.js';
import { type Dimension, type TrialParams, unitOf } from './space.js';
import { reached, type TrialRecord } from './study.js';

const STATE_ORDER = { complete: 0, pruned: 1, running: 2, failed: 3, interrupted: 4 } as const;

/** Complete trials by objective, then pruned ones (furthest first, then by their last value), then failed. */
export function rankTrials(trials: TrialRecord[], mode: 'min' | 'max'): TrialRecord[] {
  const v = (t: TrialRecord) => (t.value === null || !Number.isFinite(t.value) ? Number.NEGATIVE_INFINITY : mode === 'max' ? t.value : -t.value);
  return [...trials].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || (a.state === 'pruned' ? reached(b.history) - reached(a.history) : 0) || v(b) - v(a) || a.index - b.index);
}

/** η² of the objective on each dimension over the complete trials (0 when fewer than 3 or no variance). */
export function parameterImportance(trials: TrialRecord[], dims: Dimension[]): Record<string, number> {
  const done = trials.filter((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  const ys = done.map((t) => t.value!);
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(1, ys.length);
  const total = ys.reduce((a, y) => a + (y - mean) ** 2, 0);
  const out: Record<string, number> = {};
  for (const d of dims) {
    if (done.length < 3 || total === 0) {
      out[d.key] = 0;
      continue;
    }
    const group = (t: TrialRecord) => {
      if (d.kind === 'choice') return String(t.params[d.key]);
      const sorted = done.map((x) => x.params[d.key] as number).sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
      const x = t.params[d.key] as number;
      return String([q(0.25), q(0.5), q(0.75)].filter((c) => x >= c).length);
    };
    const groups = new Map<string, number[]>();
    for (const t of done) groups.set(group(t), [...(groups.get(group(t)) ?? []), t.value!]);
    let between = 0;
    for (const g of groups.values()) between += g.length * (g.reduce((a, b) => a + b, 0) / g.length - mean) ** 2;
    out[d.key] = between / total;
  }
  return out;
}

const fmt = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(3))) : String(v));

/** One line per trial across one axis per swept key (scaled to its range; log for log-uniform), coloured by the objective. */
export function parallelCoordinatesSpec(trials: TrialRecord[], dims: Dimension[], metric: string): TopLevelSpec {
  const shown = trials.filter((t) => t.value !== null && Number.isFinite(t.value));
  const values = shown.flatMap((t) => dims.map((d, i) => ({ trial: t.index, axis: d.key, order: i, y: unitOf(d, t.params[d.key]), objective: t.value, state: t.state, label: fmt(t.params[d.key]) })));
  const ticks = dims.flatMap((d, i) => {
    const ends = d.kind === 'choice' ? d.choices.map((c) => ({ y: unitOf(d, c), label: fmt(c) })) : [{ y: 0, label: fmt(d.low) }, { y: 1, label: fmt(d.high) }];
    return ends.map((e) => ({ axis: d.key, order: i, ...e }));
  });
  const x = { field: 'axis', type: 'nominal', sort: dims.map((d) => d.key), title: '', axis: { labelAngle: 0, orient: 'top', labelLimit: 320 } };
  const y = { field: 'y', type: 'quantitative', scale: { domain: [0, 1] }, axis: null };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Sweep: ${shown.length} trials (solid: complete, dashed: pruned at their last value)`,
    width: Math.max(320, 170 * dims.length),
    height: 300,
    padding: 12,
    layer: [
      { data: { values: dims.map((d) => ({ axis: d.key, y: 0, y2: 1 })) }, mark: { type: 'rule', color: '#bbb' }, encoding: { x, y, y2: { field: 'y2' } } },
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.6, opacity: 0.85 },
        encoding: {
          x,
          y,
          detail: { field: 'trial', type: 'nominal' },
          order: { field: 'order', type: 'quantitative' },
          color: { field: 'objective', type: 'quantitative', title: metric, scale: { scheme: 'viridis' } },
          strokeDash: { field: 'state', type: 'nominal', scale: { domain: ['complete', 'pruned'], range: [[1, 0], [4, 3]] }, legend: null },
        },
      },
      { data: { values: ticks }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#444' }, encoding: { x, y, text: { field: 'label' } } },
    ],
  } as TopLevelSpec;
}

export function importanceSpec(importance: Record<string, number>, metric: string): TopLevelSpec {
  const values = Object.entries(importance).map(([key, eta2]) => ({ key, eta2 }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `Parameter importance: share of ${metric} variance explained (η², first order)`,
    width: 420,
    height: Math.max(60, 28 * values.length),
    padding: 12,
    data: { values },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      y: { field: 'key', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 240 } },
      x: { field: 'eta2', type: 'quantitative', title: 'η²', scale: { domain: [0, 1] } },
    },
  } as TopLevelSpec;
}

function writeAtomic(path: string, data: string | Uint8Array): void {
  writeFileSync(`${path}.tmp-${process.pid}`, data);
  renameSync(`${path}.tmp-${process.pid}`, path);
}

/** One row per trial for tables and --json. */
export function trialRow(t: TrialRecord, rank: number): Record<string, unknown> {
  return { rank, trial: t.index, state: t.state, value: t.value, epochs: t.epochs, plannedEpochs: t.plannedEpochs, runId: t.runId ?? null, params: t.params, ...(t.enqueued ? { enqueued: true } : {}), ...(t.reason ? { reason: t.reason } : {}) };
}

export async function writeSweepReport(input: Ctx & { trials: TrialRecord[]; epochsTrained: number; configOf: (p: TrialParams) => TrainingConfig }): Promise<SweepResult> {
  const { store, runId, spec, dims, mode, trials, base } = input;
  const ranked = rankTrials(trials, mode);
  const bestTrial = ranked.find((t) => t.state === 'complete' && t.value !== null && Number.isFinite(t.value));
  const dir = join(base.outputDir, `sweep-${runId.slice(0, 8)}`);
  mkdirSync(dir, { recursive: true });
  const artifacts: string[] = [];
  let bestConfigPath: string | null = null;
  let best: SweepResult['best'] = null;
  if (bestTrial) {
    const config = input.configOf(bestTrial.params);
    best = { index: bestTrial.index, value: bestTrial.value!, params: bestTrial.params, runId: bestTrial.runId, config, ...(bestTrial.enqueued ? { enqueued: true } : {}) };
    bestConfigPath = join(dir, 'best-config.yaml');
    const header = `# The best trial (${bestTrial.index}, ${spec.metric} ${bestTrial.value}) of sweep run ${runId}: train it again with\n#   mlx-train train -c ${bestConfigPath}\n# Swept: ${Object.entries(bestTrial.params).map(([k, v]) => `${k}=${fmt(v)}`).join(', ')}\n`;
    writeAtomic(bestConfigPath, header + configToYaml(config));
    artifacts.push(bestConfigPath);
  }
  const epochsFullBudget = trials.reduce((n, t) => n + t.plannedEpochs, 0);
  const rows = ranked.map((t, i) => trialRow(t, i + 1));
  const trialsPath = join(dir, 'trials.json');
  writeAtomic(trialsPath, `${JSON.stringify({ runId, metric: spec.metric, mode, trials: rows }, null, 2)}\n`);
  artifacts.push(trialsPath);
  if (trials.some((t) => t.value !== null)) {
    const pc = join(dir, 'sweep_parallel_coordinates.png');
    writeAtomic(pc, await renderPng(parallelCoordinatesSpec(ranked, dims, spec.metric)));
    const imp = join(dir, 'sweep_parameter_importance.png');
    writeAtomic(imp, await renderPng(importanceSpec(parameterImportance(trials, dims), spec.metric)));
    artifacts.push(pc, imp);
  }
  const count = (s: string) => trials.filter((t) => t.state === s).length;
  const metrics = [
    { key: 'epochs_trained', value: input.epochsTrained },
    { key: 'epochs_full_budget', value: epochsFullBudget },
    { key: 'trials_complete', value: count('complete') },
    { key: 'trials_pruned', value: count('pruned') },
    { key: 'trials_failed', value: count('failed') },
    ...(best ? [{ key: 'best_value', value: best.value }, { key: `best_${spec.metric}`, value: best.value }] : []),
  ];
  const tags = best ? [{ key: 'mlx_train.sweep.best_trial', value: String(best.index) }, ...(best.runId ? [{ key: 'mlx_train.sweep.best_run_id', value: best.runId }] : [])] : [];
  await store.logBatch(runId, { metrics, tags });
  for (const a of artifacts) await store.logArtifact(runId, a);
  await store.setTerminated(runId, 'FINISHED');
  input.log(`sweep: ${count('complete')} complete, ${count('pruned')} pruned, ${count('failed')} failed; ${input.epochsTrained} of ${epochsFullBudget} epochs trained${best ? `; best trial ${best.index}${best.enqueued ? ' (enqueued)' : ''}: ${spec.metric} ${best.value.toFixed(4)}` : ''}`);
  return { runId, experimentId: input.experimentId, metric: spec.metric, mode, trials: ranked, best, bestConfigPath, epochsTrained: input.epochsTrained, epochsFullBudget, artifacts };
}
