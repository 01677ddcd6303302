// `mlx-train sweep` end to end on tiny trials: nested MLflow runs (read back with MLflow's own client),
// pruning, the ranked JSON, the best config reproduced by `train -c`, artifacts, parallel workers, exit 2.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlflowEnv, testPython } from '../tracking/mlflow-python.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-sweep-'));

/** A sweep over the quick preset cut down to seconds per trial. */
function sweepFile(name: string, sweep: string, extra = ''): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, `extends: quick
outputDir: ${join(dir, name, 'out')}
tracking: { trackingUri: 'sqlite:///${join(dir, name, 'mlflow.db')}', artifactLocation: ${join(dir, name, 'artifacts')}, experimentName: ${name} }
model: { maxLength: 16 }
training: { epochs: 2, logEverySteps: 50 }
${extra}sweep:
${sweep}
`);
  return path;
}

interface Json {
  runId: string;
  best: { trial: number; value: number; params: Record<string, unknown>; runId: string } | null;
  bestConfig: string;
  epochsTrained: number;
  epochsFullBudget: number;
  trials: { rank: number; trial: number; state: string; value: number | null; epochs: number; runId: string; params: Record<string, unknown>; reason?: string }[];
  artifacts: string[];
}

/** What MLflow's Python client sees of a sweep: the parent and the runs nested under it. */
function mlflowView(db: string, experiment: string, parentId: string) {
  const script = `
import json, sys
from mlflow import MlflowClient
c = MlflowClient(tracking_uri=sys.argv[1])
exp = c.get_experiment_by_name(sys.argv[2])
parent = c.get_run(sys.argv[3])
kids = c.search_runs([exp.experiment_id], filter_string="tags.mlflow.parentRunId = '%s'" % sys.argv[3])
out = {"parent": {"metrics": parent.data.metrics, "tags": parent.data.tags, "status": parent.info.status,
                  "artifacts": sorted(a.path for a in c.list_artifacts(sys.argv[3]))},
       "children": [{"id": r.info.run_id, "status": r.info.status, "start": r.info.start_time, "end": r.info.end_time, "params": r.data.params, "tags": r.data.tags,
                     "objective": [(m.step, m.value) for m in c.get_metric_history(r.info.run_id, "sweep_objective")]} for r in kids]}
print("@@JSON@@" + json.dumps(out))
`;
  const out = execFileSync(testPython(), ['-c', script, `sqlite:///${db}`, experiment, parentId], { env: mlflowEnv(), encoding: 'utf8', timeout: 120_000 });
  return JSON.parse(out.split('\n').find((l) => l.startsWith('@@JSON@@'))!.slice(8));
}

describe('mlx-train sweep', () => {
  it('runs the trials as MLflow child runs of one sweep run, prunes the hopeless one, and writes a best config train reproduces', () => {
    // Grid order: a working rate (mean, cls pooling), then one that cannot learn: its validation loss after one
    // epoch is the worst at the first ASHA rung, so both its trials are pruned there.
    const file = sweepFile('grid', `  method: grid
  metric: val_loss
  pruner: { type: asha, minEpochs: 1, reductionFactor: 2 }
  parameters:
    training.learningRate: { values: [1.0e-3, 1.0e-9] }
    model.pooling: { values: [mean, cls] }`);
    const r = cli(['sweep', '-c', file, '--json'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    expect(out.trials).toHaveLength(4);
    const byIndex = (i: number) => out.trials.find((t) => t.trial === i)!;
    expect(byIndex(0)).toMatchObject({ state: 'complete', epochs: 2, params: { 'training.learningRate': 1e-3, 'model.pooling': 'mean' } });
    const hopeless = [byIndex(2), byIndex(3)];
    for (const t of hopeless) {
      expect(t.state).toBe('pruned');
      expect(t.epochs).toBe(1);
      expect(t.reason).toMatch(/^asha: val_loss .* at rung epoch 1 ranks \d of \d/);
    }
    expect(out.trials[0].rank).toBe(1);
    expect(out.best!.trial).toBe(out.trials[0].trial);
    // Trial 1 (cls pooling) meets trial 0 alone at the first rung: it goes on only if it beats it.
    expect(['complete', 'pruned']).toContain(byIndex(1).state);
    expect(out.epochsFullBudget).toBe(8);
    expect(out.epochsTrained).toBe(2 + byIndex(1).epochs + 1 + 1);

    // MLflow's own client: every trial nested under the sweep run (the tag its UI nests by).
    const view = mlflowView(join(dir, 'grid', 'mlflow.db'), 'grid', out.runId);
    expect(view.children).toHaveLength(4);
    expect(new Set(view.children.map((c: { id: string }) => c.id))).toEqual(new Set(out.trials.map((t) => t.runId)));
    for (const c of view.children) {
      const t = out.trials.find((x) => x.runId === c.id)!;
      expect(Number(c.params['training.learningRate'])).toBe(t.params['training.learningRate']);
      expect(c.params['model.pooling']).toBe(t.params['model.pooling']);
      expect(c.objective.map(([step]: [number]) => step)).toEqual(t.state === 'pruned' ? [1] : [1, 2]);
      expect(c.objective.at(-1)[1]).toBeCloseTo(t.value!, 12);
      expect(c.status).toBe(t.state === 'pruned' ? 'KILLED' : 'FINISHED');
      if (t.state === 'pruned') expect(c.tags['mlx_train.sweep.pruned_reason']).toBe(t.reason);
    }
    expect(view.parent.status).toBe('FINISHED');
    expect(view.parent.metrics.best_value).toBe(out.best!.value);
    expect(view.parent.metrics.best_val_loss).toBe(out.best!.value);
    expect(view.parent.tags['mlx_train.sweep.best_trial']).toBe(String(out.best!.trial));
    expect(view.parent.tags['mlx_train.sweep.best_run_id']).toBe(out.best!.runId);
    expect(view.parent.artifacts).toEqual(expect.arrayContaining(['best-config.yaml', 'sweep-config.yaml', 'sweep_parallel_coordinates.png', 'sweep_parameter_importance.png', 'trials.json']));

    // The best config, as written, trains the same model: the same validation loss.
    expect(existsSync(out.bestConfig)).toBe(true);
    const again = cli(['train', '-c', out.bestConfig, '--no-track', '--output-dir', join(dir, 'again'), '--json'], { timeoutMs: 300_000 });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(JSON.parse(again.stdout).last.metrics.loss).toBe(out.best!.value);
  }, 900_000);

  it('with pruner.resource folds, judges each trial after each fold on the mean of its finished folds', () => {
    // A working rate, then one that cannot learn: after its first fold (2 epochs) its mean validation loss
    // is the worse of the two at rung fold 1, so it stops there; the working one reports after every fold.
    const file = sweepFile('folds', `  method: grid
  metric: val_loss
  folds: 3
  pruner: { type: asha, resource: folds, minFolds: 1, reductionFactor: 2 }
  parameters:
    training.learningRate: { values: [1.0e-3, 1.0e-9] }`);
    const r = cli(['sweep', '-c', file, '--json'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    const [good, hopeless] = [0, 1].map((i) => out.trials.find((t) => t.trial === i)!);
    expect(good).toMatchObject({ state: 'complete', epochs: 6 });
    expect(hopeless).toMatchObject({ state: 'pruned', epochs: 2 });
    expect(hopeless.reason).toMatch(/^asha: mean val_loss of the first 1 fold\(s\) .* at rung fold 1 ranks 2 of 2/);
    expect(out).toMatchObject({ epochsTrained: 8, epochsFullBudget: 12 });
    const view = mlflowView(join(dir, 'folds', 'mlflow.db'), 'folds', out.runId);
    const trialRun = (t: Json['trials'][number]) => view.children.find((c: { id: string }) => c.id === t.runId);
    // One objective point per finished fold; after the last it is the cross-validation objective itself.
    const steps = trialRun(good).objective as [number, number][];
    expect(steps.map(([step]) => step)).toEqual([1, 2, 3]);
    expect(steps[2][1]).toBeCloseTo(good.value!, 12);
    expect((trialRun(hopeless).objective as [number, number][]).map(([step]) => step)).toEqual([1]);
    expect(trialRun(hopeless).status).toBe('KILLED');
    // The pruned trial's unfinished checkpoints are deleted, and said so; the finished trial keeps each fold's.
    const trialDir = (t: number) => join(dir, 'folds', 'out', `sweep-${out.runId.slice(0, 8)}`, `trial-${t}`);
    expect(existsSync(join(trialDir(1), 'fold-0'))).toBe(true);
    expect(existsSync(join(trialDir(1), 'fold-0', 'checkpoints'))).toBe(false);
    for (const fold of [0, 1, 2]) expect(readdirSync(join(trialDir(0), `fold-${fold}`, 'checkpoints')).some((f) => f.endsWith('.safetensors'))).toBe(true);
    expect(r.stderr).toMatch(/trial 1: pruned .*; its checkpoints removed \(\d+ MiB\)/);
  }, 600_000);

  it('runs trials in parallel worker processes', () => {
    const file = sweepFile('parallel', `  method: random
  trials: 2
  parallel: 2
  seed: 3
  pruner: { type: none }
  parameters:
    training.learningRate: { distribution: log_uniform, min: 1.0e-4, max: 1.0e-3 }`);
    const r = cli(['sweep', '-c', file, '--json', '--set', 'training.epochs=1'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    expect(out.trials.map((t) => t.state)).toEqual(['complete', 'complete']);
    const view = mlflowView(join(dir, 'parallel', 'mlflow.db'), 'parallel', out.runId);
    const pids = view.children.map((c: { tags: Record<string, string> }) => c.tags['mlx_train.pid']);
    expect(new Set(pids).size).toBe(2);
    // They trained at the same time: each started before the other ended.
    const [a, b] = view.children as { start: number; end: number }[];
    expect(a.start < b.end && b.start < a.end).toBe(true);
    expect(r.stderr).toMatch(/2 worker\(s\)/);
  }, 600_000);

  it('exits 2 naming an unknown swept key', () => {
    const file = sweepFile('badkey', `  trials: 2
  parameters:
    training.learningRat: { values: [1.0e-4] }`);
    const r = cli(['sweep', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[CONFIG_ERROR\]: sweep\.parameters\.training\.learningRat: unknown config key \(.*badkey\.yaml:\d+:\d+\); did you mean 'training\.learningRate'\?/);
  });

  it('exits 2 for a value the training schema refuses, before any trial', () => {
    const file = sweepFile('badvalue', `  trials: 2
  parameters:
    model.pooling: { values: [mean, max] }`);
    const r = cli(['sweep', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the value "max" of sweep\.parameters\.model\.pooling/);
    expect(existsSync(join(dir, 'badvalue', 'mlflow.db'))).toBe(false);
  });

  it('runs sweep.enqueue first: the base config, then a given point, tagged in the store', () => {
    const file = sweepFile('enqueue', `  method: tpe
  trials: 3
  seed: 5
  pruner: { type: none }
  enqueue:
    - base
    - { training.learningRate: 5.0e-4 }
  parameters:
    training.learningRate: { distribution: log_uniform, min: 1.0e-4, max: 1.0e-3 }
    training.batchSize: { values: [16, 32] }`);
    const r = cli(['sweep', '-c', file, '--json', '--set', 'training.epochs=1'], { timeoutMs: 600_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const out = JSON.parse(r.stdout) as Json;
    const byIndex = (i: number) => out.trials.find((t) => t.trial === i)! as Json['trials'][number] & { enqueued?: boolean };
    // The quick preset's own values, then the given rate with the preset's batch size, then a draw.
    expect(byIndex(0)).toMatchObject({ enqueued: true, params: { 'training.learningRate': 3e-4, 'training.batchSize': 16 } });
    expect(byIndex(1)).toMatchObject({ enqueued: true, params: { 'training.learningRate': 5e-4, 'training.batchSize': 16 } });
    expect(byIndex(2).enqueued).toBeUndefined();
    expect(r.stderr).toMatch(/trial 0 \(enqueued\): training\.learningRate=0\.0003 training\.batchSize=16/);
    const view = mlflowView(join(dir, 'enqueue', 'mlflow.db'), 'enqueue', out.runId);
    const tagged = view.children.filter((c: { tags: Record<string, string> }) => c.tags['mlx_train.sweep.enqueued'] === 'true');
    expect(tagged.map((c: { id: string }) => c.id).sort()).toEqual([byIndex(0).runId, byIndex(1).runId].sort());
  }, 600_000);

  it('exits 2 for an enqueued value outside its swept range, naming where it came from', () => {
    const file = sweepFile('badenqueue', `  trials: 2
  enqueue: [base]
  parameters:
    training.learningRate: { distribution: log_uniform, min: 1.0e-3, max: 1.0e-2 }`);
    const r = cli(['sweep', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sweep\.enqueue\[0\]\.training\.learningRate: the base config's value 0\.0003 lies outside the swept range 0\.001\.\.0\.01/);
    expect(existsSync(join(dir, 'badenqueue', 'mlflow.db'))).toBe(false);
  });
});
