/** `mlx-train sweep`: a hyperparameter search from the config's sweep section; prints the ranked trials. */
import { printJson } from './output.js';
import { printTable } from './table.js';
import { trialRow } from '../sweep/report.js';
import { trainerOptions } from './trainer-options.js';

const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};

const shown = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v));

export async function run(opts: Record<string, unknown>): Promise<void> {
  const { sweep } = await import('../sweep/runner.js');
  const { preset, file, set, env } = trainerOptions({ ...opts, experiment: undefined }, log);
  const result = await sweep({ preset, file, set, env }, { resume: opts.resume as string | undefined, experiment: opts.experiment as string | undefined, log });
  if (opts.json) {
    printJson({
      runId: result.runId,
      metric: result.metric,
      mode: result.mode,
      best: result.best ? { trial: result.best.index, value: result.best.value, params: result.best.params, runId: result.best.runId ?? null } : null,
      bestConfig: result.bestConfigPath,
      epochsTrained: result.epochsTrained,
      epochsFullBudget: result.epochsFullBudget,
      trials: result.trials.map((t, i) => trialRow(t, i + 1)),
      artifacts: result.artifacts,
    });
    return;
  }
  const keys = Object.keys(result.trials[0]?.params ?? {});
  printTable(
    ['rank', 'trial', 'state', result.metric, 'epochs', ...keys],
    result.trials.map((t, i) => [i + 1, t.enqueued ? `${t.index} (enqueued)` : t.index, t.state, t.value === null ? '-' : t.value.toFixed(4), `${t.epochs}/${t.plannedEpochs}`, ...keys.map((k) => shown(t.params[k]))]),
  );
  const lines = [
    `sweep run: ${result.runId}`,
    `epochs trained: ${result.epochsTrained} of ${result.epochsFullBudget} (every trial to the end)`,
    ...(result.best ? [`best: trial ${result.best.index}${result.best.enqueued ? ' (enqueued)' : ''}, ${result.metric} ${result.best.value.toFixed(4)}`, `best config: ${result.bestConfigPath} (mlx-train train -c ${result.bestConfigPath})`] : ['best: none (no trial completed)']),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
