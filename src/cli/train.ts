/** `mlx-train train`: one training run from a preset/config, logged to the tracking store. */
import { explainedConfigYaml } from './config.js';
import { printJson } from './output.js';
import type { FitResult } from '../trainer/trainer.js';
import type { TrainingConfig } from '../config/schema.js';
import type { EvalMetrics } from '../trainer/types.js';
import { describeCrossValidation } from '../trainer/kfold-report.js';
import { headline } from '../trainer/tasks/metric-table.js';
import { returnedModel } from '../trainer/returned-model.js';
import { trainerOptions } from './trainer-options.js';

const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};

export async function run(opts: Record<string, unknown>): Promise<void> {
  const { Trainer } = await import('../trainer/index.js');
  const { rank } = await import('../trainer/distributed.js');
  const trainer = new Trainer(trainerOptions(opts, log));
  if (opts.printConfig) process.stderr.write(`# resolved config\n${explainedConfigYaml(trainer.config)}`);
  const resumeFrom = opts.resume === true ? 'latest' : (opts.resume as string | undefined);
  const result = await trainer.fit({ resumeFrom });
  // --save-adapters [dir]: the LoRA adapters on their own (rank 0 only, like checkpoints).
  const adapters = opts.saveAdapters && rank() === 0
    ? trainer.saveAdapters(typeof opts.saveAdapters === 'string' ? opts.saveAdapters : undefined).weights
    : null;
  if (opts.json) printJson(trainResultJson(result, trainer.config, adapters));
  else process.stdout.write(`${formatTrainResult(result, trainer.config, adapters)}\n`);
  // Ctrl-C: the loop finished the step, checkpointed and marked the run KILLED.
  if (result.status === 'KILLED') process.exitCode = 130;
}

// Classification's line as before; other tasks print their own figures (rmse, r2, qwk, …).
const metricLine = (m: EvalMetrics) => (m.confusionMatrix.length === 0 || m.qwk !== undefined ? headline(m) : `accuracy ${m.accuracy.toFixed(4)}  f1 ${m.f1.toFixed(4)}  loss ${m.loss.toFixed(4)}${m.rocAuc !== undefined ? `  roc_auc ${m.rocAuc.toFixed(4)}` : ''}`);

/**
 * The lines `train` prints: the model fit() returns (the restored best checkpoint, or the last weights)
 * with its validation metrics and checkpoint, then the last evaluation when that is a different model.
 */
export function formatTrainResult(result: FitResult, config: TrainingConfig, adapters: string | null = null): string {
  const kept = returnedModel(result);
  const last = result.metrics;
  const what = kept.kind === 'best' ? `the restored best model, step ${kept.step} of ${result.state.globalStep}` : `the model at step ${kept.step}`;
  const lines = [
    `status: ${result.status}`,
    `steps: ${result.state.globalStep} in ${(result.elapsedMs / 1000).toFixed(1)}s`,
    ...(result.crossValidation ? [describeCrossValidation(result.crossValidation)] : kept.metrics ? [`validation (${what}): ${metricLine(kept.metrics)}`] : []),
    ...(kept.checkpoint ? [`checkpoint: ${kept.checkpoint}`] : []),
    ...(kept.kind === 'best' && last ? [`last evaluation (step ${result.state.globalStep}, not kept): ${metricLine(last)}`] : []),
    ...(adapters ? [`adapters: ${adapters}`] : []),
    ...(result.runId ? [`run: ${result.runId} in ${config.tracking.trackingUri} (experiment '${config.tracking.experimentName}')`,
      `look at it: mlx-train runs show ${result.runId}`] : []),
  ];
  return lines.join('\n');
}

/** `train --json`: `metrics` and `checkpoint` describe the model fit() returns; `last` the last evaluation. */
export function trainResultJson(result: FitResult, config: TrainingConfig, adapters: string | null = null): Record<string, unknown> {
  const kept = returnedModel(result);
  const cv = result.crossValidation;
  // k-fold: the returned "model" is the fold ensemble; both figures, named for what they are.
  const crossValidation = cv ? {
    k: cv.k,
    lastEpoch: cv.lastEpoch ? { heldOut: true, mean: cv.lastEpoch.mean, std: cv.lastEpoch.std, outOfFold: cv.lastEpoch.metrics } : null,
    selectedOnFold: { heldOut: false, mean: cv.mean, std: cv.std, outOfFold: cv.outOfFold.metrics },
  } : undefined;
  return { status: result.status, ...(crossValidation ? { crossValidation } : {}), runId: result.runId ?? null, globalStep: result.state.globalStep, epoch: result.state.epoch,
    elapsedMs: Math.round(result.elapsedMs), model: cv ? 'k-fold ensemble' : kept.kind, modelStep: kept.step, checkpoint: kept.checkpoint ?? null, adapters, metrics: kept.metrics ?? null,
    last: { step: result.state.globalStep, checkpoint: result.checkpoint ?? null, metrics: result.metrics ?? null },
    trackingUri: config.tracking.enabled ? config.tracking.trackingUri : null };
}
