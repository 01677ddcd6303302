/** `mlx-train serve`: a trained model behind MLflow's scoring protocol (src/serve), until Ctrl-C. */
import { readFileSync } from 'node:fs';
import type { ClassifierModule } from '../trainer/evaluate.js';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_SERVE_PORT, startScoringServer } from '../serve/server.js';
import { UsageError } from './output.js';
import { loadModel, trainerOptions } from './trainer-options.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

function integerFlag(opts: Record<string, unknown>, name: string, flag: string, min: number, max: number, fallback: number): number {
  const raw = opts[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected an integer in ${min}..${max} but received '${raw}'`);
  return n;
}

export async function run(opts: Record<string, unknown>): Promise<void> {
  const port = integerFlag(opts, 'port', '--port', 0, 65535, DEFAULT_SERVE_PORT);
  const host = String(opts.host ?? '127.0.0.1');
  const maxBatchRows = integerFlag(opts, 'maxBatch', '--max-batch', 1, 4096, 32);
  const maxWaitMs = integerFlag(opts, 'batchWaitMs', '--batch-wait-ms', 0, 10_000, 5);
  const maxBodyMb = opts.maxBodyMb === undefined ? DEFAULT_MAX_BODY_BYTES / 2 ** 20 : Number(opts.maxBodyMb);
  if (!(maxBodyMb > 0) || !Number.isFinite(maxBodyMb)) throw new UsageError(`--max-body-mb: expected a positive number but received '${opts.maxBodyMb}'`);
  const checkpointArg = String(opts.checkpoint ?? 'best');

  const log = (m: string) => process.stderr.write(`${m}\n`);
  const { Trainer } = await import('../trainer/index.js');
  const { runIdOf, downloadRunCheckpoint } = await import('../serve/checkpoint-from-run.js');
  const { createPredictor } = await import('../serve/predictor.js');
  const trainer = new Trainer(trainerOptions(opts, log));
  if (trainer.config.data.kFolds >= 2) {
    throw new UsageError(`serve runs one model, but data.kFolds is ${trainer.config.data.kFolds}: serve one fold (--output-dir ${trainer.config.outputDir}/fold-<i> --set data.kFolds=0), or a model trained without k-fold`);
  }

  // Loaded once, before the port opens: /ping answers 200 only when the model is ready.
  const runId = runIdOf(checkpointArg);
  let loaded: string;
  if (runId) {
    const { openStore } = await import('../tracking/index.js');
    const store = await openStore(trainer.config.tracking.trackingUri, { artifactRoot: trainer.config.tracking.artifactLocation });
    try {
      const ck = await downloadRunCheckpoint(store, runId);
      try {
        loadModel(trainer, ck.path);
      } finally {
        ck.cleanup();
      }
      loaded = `run ${runId}'s ${ck.artifact}`;
    } finally {
      await store.close();
    }
  } else {
    loaded = loadModel(trainer, checkpointArg);
  }

  const predictor = createPredictor({ model: trainer.model as ClassifierModule, data: trainer.data }, { maxBatchRows, maxWaitMs }, trainer.setup().head);
  const server = await startScoringServer({ predictor, host, port, maxBodyBytes: Math.floor(maxBodyMb * 2 ** 20), version: pkg.version, log });
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    log(`warning: listening on ${host}: anyone who can reach this address can query the model`);
  }
  log(`mlx-train serve: ${loaded}; task ${trainer.setup().head.task}; input columns ${predictor.inputColumns.join(', ')}; batches of up to ${maxBatchRows} rows within ${maxWaitMs} ms`);
  process.stdout.write(`mlx-train serve: ${server.url}/invocations (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
}
