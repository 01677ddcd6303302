/** `mlx-train train`: one training run from a preset/config, logged to the tracking store. */
import { explainedConfigYaml } from './config.js';
import { printJson } from './output.js';
import { trainerOptions } from './trainer-options.js';

const log = (m: string): void => {
  process.stderr.write(`${m}\n`);
};

export async function run(opts: Record<string, unknown>): Promise<void> {
  const { Trainer, rank } = await import('../trainer/index.js');
  const trainer = new Trainer(trainerOptions(opts, log));
  if (opts.printConfig) process.stderr.write(`# resolved config\n${explainedConfigYaml(trainer.config)}`);
  const resumeFrom = opts.resume === true ? 'latest' : (opts.resume as string | undefined);
  const result = await trainer.fit({ resumeFrom });
  const m = result.metrics;
  // --save-adapters [dir]: the LoRA adapters on their own (rank 0 only, like checkpoints).
  const adapters = opts.saveAdapters && rank() === 0
    ? trainer.saveAdapters(typeof opts.saveAdapters === 'string' ? opts.saveAdapters : undefined).weights
    : null;
  if (opts.json) {
    printJson({ status: result.status, runId: result.runId ?? null, globalStep: result.state.globalStep, epoch: result.state.epoch,
      elapsedMs: Math.round(result.elapsedMs), checkpoint: result.checkpoint ?? null, adapters, metrics: m ?? null,
      trackingUri: trainer.config.tracking.enabled ? trainer.config.tracking.trackingUri : null });
  } else {
    const lines = [
      `status: ${result.status}`,
      `steps: ${result.state.globalStep} in ${(result.elapsedMs / 1000).toFixed(1)}s`,
      ...(m ? [`validation: accuracy ${m.accuracy.toFixed(4)}  f1 ${m.f1.toFixed(4)}  loss ${m.loss.toFixed(4)}${m.rocAuc !== undefined ? `  roc_auc ${m.rocAuc.toFixed(4)}` : ''}`] : []),
      ...(result.checkpoint ? [`checkpoint: ${result.checkpoint}`] : []),
      ...(adapters ? [`adapters: ${adapters}`] : []),
      ...(result.runId ? [`run: ${result.runId} in ${trainer.config.tracking.trackingUri} (experiment '${trainer.config.tracking.experimentName}')`,
        `look at it: mlx-train runs show ${result.runId}`] : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  // Ctrl-C: the loop finished the step, checkpointed and marked the run KILLED.
  if (result.status === 'KILLED') process.exitCode = 130;
}
