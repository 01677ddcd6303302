import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mx, openStore, Trainer } from '../../src/index.js';
import { listCheckpoints } from '../../src/trainer/run-checkpoint.js';
import { tinyModelFactory, toyConfig } from '../helpers/tiny-model.js';

const root = mkdtempSync(join(tmpdir(), 'mlxt-loop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tracked(dir: string, training: Record<string, unknown> = {}) {
  const config = toyConfig(dir, training);
  return { ...config, tracking: { enabled: true, trackingUri: `sqlite:///${join(dir, 'mlflow.db')}`, artifactLocation: join(dir, 'artifacts'), experimentName: 'loop-test' } };
}

describe('Trainer.fit', () => {
  it('trains the tiny model to fit the toy task, evaluates, predicts and keeps the newest checkpoints', async () => {
    const dir = join(root, 'fit');
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 6, keepCheckpoints: 2 }), { createModel: tinyModelFactory(0), log: () => {} });
    const result = await trainer.fit();
    expect(result.status).toBe('FINISHED');
    expect(result.metrics!.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.state.lastStep!.samplesPerSecond).toBeGreaterThan(0);
    expect(result.state.memory!.rssBytes).toBeGreaterThan(0);
    // One checkpoint per epoch, the newest two plus the best kept.
    const kept = listCheckpoints(join(dir, 'out', 'checkpoints')).map((c) => c.step);
    expect(kept.length).toBeLessThanOrEqual(3);
    expect(kept).toContain(result.state.globalStep);
    expect(kept).toContain(result.state.best!.step);
    const again = await trainer.evaluate();
    expect(again.accuracy).toBe(result.metrics!.accuracy);
    const predictions = await trainer.predict(join(dir, 'toy.csv'));
    expect(predictions).toHaveLength(64);
    const right = predictions.filter((p, i) => p.label === (i % 2 === 0 ? 'yes' : 'no')).length;
    expect(right / 64).toBeGreaterThanOrEqual(0.9);
    expect(readFileSync(join(dir, 'out', 'predictions.csv'), 'utf8').split('\n')[0]).toBe('id,label');
  });

  it('records params, metrics, system metrics, tags, dataset, artifacts and FINISHED in the store', async () => {
    const dir = join(root, 'tracked');
    const trainer = Trainer.fromConfig(tracked(dir), { createModel: tinyModelFactory(), log: () => {} });
    const result = await trainer.fit();
    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`);
    try {
      const run = await store.getRun(result.runId!);
      expect(run.info.status).toBe('FINISHED');
      expect(run.data.params['training.learningRate']).toBe('0.05');
      expect(run.data.params['model.maxLength']).toBe('16');
      expect(run.data.tags['mlx_train.version']).toMatch(/^\d+\.\d+\.\d+/);
      expect(run.data.tags['mlx_train.node_version']).toBe(process.version);
      expect(run.data.tags['mlx_train.host']).toBeTruthy();
      const history = await store.getMetricHistory(result.runId!, 'train_loss');
      expect(history.map((m) => m.step)).toEqual(Array.from({ length: result.state.globalStep }, (_, i) => i + 1));
      expect(history.at(-1)!.value).toBe(result.state.lastStep!.loss);
      for (const key of ['learning_rate', 'grad_norm', 'step_time_ms', 'samples_per_second', 'tokens_per_second', 'val_accuracy', 'val_loss', 'system/rss_memory_mb', 'system/mlx_peak_memory_mb']) {
        expect(run.data.metrics[key], key).toBeTypeOf('number');
      }
      expect(run.data.metrics.val_accuracy).toBe(result.metrics!.accuracy);
      // Warmup (10% of the steps) up to the peak rate, then linear decay toward 0.
      const lr = (await store.getMetricHistory(result.runId!, 'learning_rate')).map((m) => m.value);
      const warmup = Math.round(0.1 * result.state.totalSteps);
      expect(lr.indexOf(Math.max(...lr))).toBe(warmup - 1);
      // The rate the optimizer applied: its schedule runs in float32.
      expect(Math.max(...lr)).toBeCloseTo(0.05, 8);
      for (let i = 1; i < lr.length; i++) expect(i < warmup ? lr[i] > lr[i - 1] : lr[i] <= lr[i - 1]).toBe(true);
      expect(lr.at(-1)!).toBeLessThanOrEqual(0.05 / (result.state.totalSteps - warmup) + 1e-9);
      expect(run.inputs.datasetInputs[0].dataset.name).toBe('toy');
      expect(JSON.parse(run.inputs.datasetInputs[0].dataset.profile!).num_rows).toBe(64);
      const artifacts = (await store.listArtifacts(result.runId!)).map((f) => f.path);
      expect(artifacts).toEqual(expect.arrayContaining(['config.yaml', 'checkpoints']));
      const ck = (await store.listArtifacts(result.runId!, 'checkpoints')).map((f) => f.path);
      expect(ck).toEqual([`checkpoints/checkpoint-${String(result.state.best!.step).padStart(8, '0')}.safetensors`]);
    } finally {
      await store.close();
    }
  });

  it('marks the run FAILED when training throws', async () => {
    const dir = join(root, 'failed');
    const trainer = Trainer.fromConfig(tracked(dir), {
      createModel: tinyModelFactory(),
      log: () => {},
      callbacks: [{ onStepEnd: (s) => { if (s.globalStep === 2) throw new Error('boom at step 2'); } }],
    });
    await expect(trainer.fit()).rejects.toThrow('boom at step 2');
    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`);
    try {
      const { runs } = await store.searchRuns([(await store.getExperimentByName('loop-test'))!.experimentId]);
      expect(runs[0].info.status).toBe('FAILED');
      expect(runs[0].data.tags['mlx_train.error']).toBe('boom at step 2');
    } finally {
      await store.close();
    }
  });

  it('on SIGINT finishes the step, writes a checkpoint and marks the run KILLED', async () => {
    const dir = join(root, 'sigint');
    const trainer = Trainer.fromConfig(tracked(dir, { epochs: 5 }), {
      createModel: tinyModelFactory(),
      log: () => {},
      callbacks: [{ onStepEnd: (s) => { if (s.globalStep === 3) process.kill(process.pid, 'SIGINT'); } }],
    });
    const result = await trainer.fit();
    expect(result.status).toBe('KILLED');
    expect(result.state.globalStep).toBeLessThan(10);
    expect(listCheckpoints(join(dir, 'out', 'checkpoints')).map((c) => c.step)).toContain(result.state.globalStep);
    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`);
    try {
      expect((await store.getRun(result.runId!)).info.status).toBe('KILLED');
    } finally {
      await store.close();
    }
  });

  it('fails before the first step when the tracking store is unreachable or corrupt, naming the store and --no-track', async () => {
    const saved = process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES;
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '0';
    try {
      for (const [name, trackingUri] of [['unreachable', 'http://127.0.0.1:9'], ['corrupt', `sqlite:///${join(root, 'corrupt.db')}`]] as const) {
        if (name === 'corrupt') writeFileSync(join(root, 'corrupt.db'), 'SQLite format 3\0 not really a database at all, just bytes');
        const dir = join(root, name);
        let steps = 0;
        const config = { ...toyConfig(dir, { epochs: 1 }), tracking: { enabled: true, trackingUri } };
        const trainer = Trainer.fromConfig(config, { createModel: tinyModelFactory(), log: () => {}, callbacks: [{ onStepEnd: () => void steps++ }] });
        const err = (await trainer.fit().then(() => null, (e: unknown) => e)) as Error & { code?: string };
        expect(err, name).toBeInstanceOf(Error);
        expect(err.code, name).toBe('TRACKING_UNAVAILABLE');
        expect(err.message, name).toContain(trackingUri);
        expect(err.message, name).toMatch(/nothing was trained.*--no-track/);
        expect(steps, name).toBe(0);
        expect(listCheckpoints(join(dir, 'out', 'checkpoints')), name).toEqual([]);
      }
    } finally {
      if (saved === undefined) delete process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES;
      else process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = saved;
    }
  });

  it('a resumed training continues the same tracked run, reopened as RUNNING, with its own pid', async () => {
    const dir = join(root, 'resume-run');
    const first = await Trainer.fromConfig(tracked(dir, { epochs: 1 }), { createModel: tinyModelFactory(), log: () => {} }).fit();
    const store = await openStore(`sqlite:///${join(dir, 'mlflow.db')}`);
    try {
      // What a kill -9 leaves behind: the run still RUNNING, its pid gone.
      await store.updateRun(first.runId!, { status: 'RUNNING' });
      await store.setTag(first.runId!, 'mlx_train.pid', '999999999');
      const seen: (string | undefined)[] = [];
      const logs: string[] = [];
      const resumed = await Trainer.fromConfig(tracked(dir, { epochs: 2 }), {
        createModel: tinyModelFactory(),
        log: (m) => logs.push(m),
        callbacks: [{ onStepEnd: (s) => void seen.push(s.runId) }],
      }).fit({ resumeFrom: 'latest' });
      expect(resumed.runId).toBe(first.runId);
      expect(new Set(seen)).toEqual(new Set([first.runId]));
      expect(logs).toContain(`tracking: resuming run ${first.runId}`);
      const exp = await store.getExperimentByName('loop-test');
      expect((await store.searchRuns([exp!.experimentId])).runs).toHaveLength(1);
      const run = await store.getRun(first.runId!);
      expect(run.info.status).toBe('FINISHED');
      expect(run.data.tags['mlx_train.pid']).toBe(String(process.pid));
      const steps = (await store.getMetricHistory(first.runId!, 'train_loss')).map((m) => m.step);
      expect(Math.max(...steps)).toBe(resumed.state.globalStep);
      expect(resumed.state.globalStep).toBe(2 * first.state.globalStep);
    } finally {
      await store.close();
    }
  });

  it('config earlyStopping stops fit() once the monitored metric stops improving', async () => {
    const dir = join(root, 'early');
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 50, learningRate: 0.1, earlyStopping: { enabled: true, monitor: 'val_loss', mode: 'min', patience: 2 } }), {
      createModel: tinyModelFactory(0),
      log: () => {},
    });
    const result = await trainer.fit();
    expect(result.state.epoch).toBeLessThan(50);
    // Stopped exactly `patience` evaluations (epochs) after the best one.
    expect(result.state.globalStep - result.state.best!.step).toBe(2 * 6);
  });

  it('loads presets by name and takes --set style overrides', () => {
    const trainer = new Trainer({ preset: 'quick', set: ['training.epochs=2'] });
    expect(trainer.config.model.size).toBe('tiny');
    expect(trainer.config.training.epochs).toBe(2);
  });

  it('trains a frozen quantized base with LoRA adapters: only the adapters and the head change', async () => {
    const dir = join(root, 'lora');
    const { TinyClassifier } = await import('../helpers/tiny-model.js');
    // A hidden layer wide enough to quantize (groupSize 32).
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 1, quantization: { enabled: true, bits: 8, groupSize: 32 }, lora: { enabled: true, rank: 2, targetModules: ['hidden'] } }), {
      createModel: (i) => new TinyClassifier(i.vocabSize, i.numLabels, 32, 0),
      log: () => {},
    });
    const model = trainer.model;
    const trainable = mx.treeFlatten(model.trainableParameters()).map(([k]) => k).sort();
    expect(trainable).toEqual(['classifier.bias', 'classifier.weight', 'hidden.loraA', 'hidden.loraB']);
    const frozen = Object.fromEntries(mx.treeFlatten(model.parameters()).filter(([k]) => !trainable.includes(k)).map(([k, v]) => [k, (v as mx.Array).toTypedArray().slice()]));
    await trainer.fit();
    for (const [k, v] of mx.treeFlatten(model.parameters())) if (k in frozen) expect(Array.from((v as mx.Array).toTypedArray() as Float32Array), k).toEqual(Array.from(frozen[k] as Float32Array));
    expect(mx.any(mx.notEqual((model as InstanceType<typeof TinyClassifier>).classifier.weight, 0)).item()).toBe(true);
  });

  it('mixed precision (bf16 compute, fp32 master weights) trains and warns on the CPU', async () => {
    const dir = join(root, 'bf16');
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }) => warnings.push(String(w.code));
    process.on('warning', onWarning);
    try {
      const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 1, mixedPrecision: 'bf16' }), { createModel: tinyModelFactory(0), log: () => {} });
      const result = await trainer.fit();
      expect(Number.isFinite(result.state.lastStep!.loss)).toBe(true);
      for (const [, v] of mx.treeFlatten(trainer.model.parameters())) expect((v as mx.Array).dtype).toBe('float32');
      await new Promise((r) => setImmediate(r));
      expect(warnings).toContain('MLX_TRAIN_HALF_ON_CPU');
    } finally {
      process.off('warning', onWarning);
    }
    expect(existsSync(join(dir, 'out', 'checkpoints'))).toBe(true);
  });

  it('fp16 mixed precision trains with dynamic loss scaling, checkpointed with the run', async () => {
    const dir = join(root, 'fp16');
    const trainer = Trainer.fromConfig(toyConfig(dir, { epochs: 1, mixedPrecision: 'fp16' }), { createModel: tinyModelFactory(0), log: () => {} });
    const result = await trainer.fit();
    expect(Number.isFinite(result.state.lastStep!.loss)).toBe(true);
    const { loadCheckpoint } = await import('../../src/trainer/run-checkpoint.js');
    const ck = loadCheckpoint(listCheckpoints(join(dir, 'out', 'checkpoints')).at(-1)!.path);
    expect(ck.trainer.lossScaler).toEqual({ scale: 2 ** 15, goodSteps: result.state.globalStep });
  });
});
