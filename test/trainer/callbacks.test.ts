/**
 * The built-in callbacks driven by a minimal real loop: a TinyClassifier trained with the real TrainStep,
 * real TrainerState/TrainerControl objects from state.ts, the loop's LR schedule, and evaluate() on a
 * held-out batch, calling the hooks in the loop's order.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { mx, optim } from '../../src/index.js';
import { TrainingConfigSchema } from '../../src/config/schema.js';
import { EarlyStopping, LearningRateMonitor, MemoryProfiler, ProgressBar, RunHistory } from '../../src/trainer/callbacks/index.js';
import { evaluate } from '../../src/trainer/evaluate.js';
import { createControl, createState, resetControl } from '../../src/trainer/state.js';
import { currentLearningRate, learningRateSchedule } from '../../src/trainer/optimizer-setup.js';
import { TrainStep } from '../../src/trainer/step.js';
import { formatSummary, summarizeRun, summaryMetrics } from '../../src/trainer/summary.js';
import type { Callback, EvalMetrics, TrainerState } from '../../src/trainer/types.js';
import { classificationLoss, syntheticBatch, tinyModel } from '../helpers/tiny-model.js';

interface LoopOptions {
  steps: number;
  evalEvery?: number;
  logEvery?: number;
  callbacks: Callback[];
  /** Runs after each optimizer step (e.g. to retain memory on purpose). */
  afterStep?: (step: number) => void;
  /** Resume from this state (globalStep) instead of 0. */
  startStep?: number;
}

async function miniLoop(o: LoopOptions): Promise<{ state: TrainerState; evals: EvalMetrics[] }> {
  const config = TrainingConfigSchema.parse({ training: { epochs: 1, learningRate: 5e-2, warmupRatio: 0.2, schedule: 'linear', logEverySteps: o.logEvery ?? 2, evalEverySteps: o.evalEvery ?? 0 } });
  const state = createState(config, o.steps);
  const control = createControl();
  const model = tinyModel(7, { dropout: 0 });
  const optimizer = new optim.SGD({ learningRate: learningRateSchedule(config.training, o.steps) });
  const step = new TrainStep(model, optimizer, classificationLoss, { maxGradNorm: null, compile: false });
  const validation = [syntheticBatch(24, 6, 999)];
  const evals: EvalMetrics[] = [];
  const t = config.training;
  const emit = async (hook: keyof Callback, ...args: unknown[]) => {
    for (const cb of o.callbacks) await (cb[hook] as ((...a: unknown[]) => unknown) | undefined)?.apply(cb, args);
  };
  await emit('onTrainStart', state, control);
  state.globalStep = o.startStep ?? 0;
  for (let s = state.globalStep; s < o.steps && !control.shouldStop; s++) {
    const batch = syntheticBatch(16, 6, s);
    const started = performance.now();
    const result = step.run([batch]);
    const stepTimeMs = performance.now() - started;
    mx.dispose([batch.inputIds, batch.attentionMask, batch.tokenTypeIds, batch.labels]);
    o.afterStep?.(s);
    state.globalStep = s + 1;
    state.lastStep = { loss: result.loss, learningRate: currentLearningRate(optimizer), batchSize: 16, tokens: 80, stepTimeMs, samplesPerSecond: 16000 / stepTimeMs, tokensPerSecond: 80000 / stepTimeMs };
    if (state.globalStep % t.logEverySteps === 0) control.shouldLog = true;
    if (t.evalEverySteps > 0 && state.globalStep % t.evalEverySteps === 0) control.shouldEvaluate = true;
    await emit('onStepEnd', state, control);
    if (control.shouldEvaluate) {
      const metrics = await evaluate(model, validation);
      state.lastEval = metrics;
      evals.push(metrics);
      await emit('onEvaluate', state, control, metrics);
    }
    resetControl(control);
  }
  await emit('onTrainEnd', state, control);
  return { state, evals };
}

describe('EarlyStopping', () => {
  it('stops after `patience` evaluations without improvement, and resumes with its counters', async () => {
    // minDelta is larger than any change the loss can make: only the first evaluation "improves".
    const es = new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 10 });
    const run = await miniLoop({ steps: 40, evalEvery: 2, callbacks: [es] });
    expect(run.evals).toHaveLength(4);
    expect(run.state.globalStep).toBe(8);
    expect(es.stoppedStep).toBe(8);
    expect(es.best).toEqual({ value: run.evals[0].loss, step: 2 });

    // Interrupted after the 2nd evaluation (wait = 1): a fresh callback restored from its state dict
    // stops two evaluations later, at the same step as the uninterrupted run.
    const first = new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 10 });
    await miniLoop({ steps: 4, evalEvery: 2, callbacks: [first] });
    expect(first.wait).toBe(1);
    const resumed = new EarlyStopping({ monitor: 'val_loss', patience: 3, minDelta: 10 });
    resumed.loadStateDict(JSON.parse(JSON.stringify(first.stateDict())));
    const rest = await miniLoop({ steps: 40, evalEvery: 2, callbacks: [resumed], startStep: 4 });
    expect(rest.state.globalStep).toBe(8);
    expect(resumed.stoppedStep).toBe(8);
    expect(() => new EarlyStopping({ monitor: 'val_f1' }).loadStateDict(first.stateDict())).toThrow(/monitored 'val_loss' but this run monitors 'val_f1'/);
  });

  it('tracks the running best in max mode while training continues', async () => {
    const seen: number[] = [];
    const es = new EarlyStopping({ monitor: 'val_accuracy', patience: 100 });
    const log = { onEvaluate: (_s: TrainerState, _c: unknown, m: EvalMetrics) => void seen.push(m.accuracy) };
    const run = await miniLoop({ steps: 12, evalEvery: 3, callbacks: [es, log] });
    expect(run.state.globalStep).toBe(12);
    expect(es.mode).toBe('max');
    // Its best is the running maximum of what it saw.
    expect(es.best?.value).toBe(Math.max(...seen));
    expect(() => new EarlyStopping({ patience: 0 })).toThrow(/patience ≥ 1/);
    expect(() => EarlyStopping.fromConfig({ enabled: false, monitor: 'val_loss', mode: 'min', patience: 3, minDelta: 0 })).not.toThrow();
    expect(EarlyStopping.fromConfig({ enabled: false, monitor: 'val_loss', mode: 'min', patience: 3, minDelta: 0 })).toBeNull();
  });
});

describe('LearningRateMonitor', () => {
  it('records the schedule as it ran and reports at the logging interval', async () => {
    const reported: [number, number][] = [];
    const lrm = new LearningRateMonitor({ sink: (m, step) => void reported.push([step, m.learning_rate]) });
    await miniLoop({ steps: 10, logEvery: 3, callbacks: [lrm] });
    const lr = learningRateSchedule(TrainingConfigSchema.parse({ training: { learningRate: 5e-2, warmupRatio: 0.2, schedule: 'linear' } }).training, 10) as optim.Schedule;
    const schedule = Array.from({ length: 10 }, (_, s) => Number(lr(mx.array(s, 'uint64')).item()));
    expect(lrm.history.map((h) => h.learningRate)).toEqual(schedule);
    expect(reported).toEqual([3, 6, 9].map((step) => [step, schedule[step - 1]]));
    const copy = new LearningRateMonitor();
    copy.loadStateDict(JSON.parse(JSON.stringify(lrm.stateDict())));
    expect(copy.history).toEqual(lrm.history);
  });
});

describe('ProgressBar', () => {
  const saved = process.env.NO_COLOR;
  afterEach(() => {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  });

  const capture = (tty: boolean) => {
    const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 160 });
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    return { stream, text: () => text };
  };

  it('writes plain lines without a TTY: one per logging interval, per evaluation, and at the end', async () => {
    const out = capture(false);
    await miniLoop({ steps: 6, logEvery: 2, evalEvery: 3, callbacks: [new ProgressBar({ stream: out.stream })] });
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('[train] 6 steps over 1 epoch(s)');
    expect(lines.filter((l) => l.startsWith('[train] step'))).toHaveLength(3);
    expect(lines[1]).toMatch(/^\[train\] step 2\/6 \(33%\) epoch 1\/1 loss \d\.\d{4} lr \d\.\d\de-\d [\d.]+ samples\/s ETA \d+s$/);
    expect(lines.filter((l) => l.startsWith('[eval]'))).toEqual([expect.stringMatching(/^\[eval\] step 3 epoch 1\/1: loss \d\.\d{4} accuracy \d\.\d{4} f1 \d\.\d{4}/), expect.stringMatching(/^\[eval\] step 6 /)]);
    expect(lines[lines.length - 1]).toMatch(/^\[done\] 6 steps in \d+s; last eval: loss/);
    expect(out.text()).not.toMatch(/\x1b/);
  });

  it('draws a live bar on a TTY, coloured unless NO_COLOR is set', async () => {
    delete process.env.NO_COLOR;
    const colored = capture(true);
    const bar = new ProgressBar({ stream: colored.stream });
    expect(bar.color).toBe(true);
    await miniLoop({ steps: 4, evalEvery: 2, callbacks: [bar] });
    expect(colored.text()).toMatch(/\x1b\[36m/);
    expect(colored.text()).toMatch(/step 4\/4 \| epoch 1\/1 \| loss \d\.\d{4} \| lr [\d.e-]+ \| val .*loss \d\.\d{4} acc \d\.\d{4}/);
    expect(colored.text()).toMatch(/\[done\].*4 steps/);

    process.env.NO_COLOR = '1';
    const plain = capture(true);
    const noColor = new ProgressBar({ stream: plain.stream });
    expect(noColor.color).toBe(false);
    await miniLoop({ steps: 2, callbacks: [noColor] });
    expect(plain.text()).toMatch(/step 2\/2/);
    expect(plain.text()).not.toMatch(/\x1b\[3\dm/);
  });
});

describe('MemoryProfiler', () => {
  it('raises the leak alarm when steps keep MLX arrays alive, and stays quiet when they are freed', async () => {
    const options = { everySteps: 1, leakWindow: 6, leakBytesPerSample: 1 << 20, leakMinGrowthBytes: 16 << 20, log: () => {} };
    const kept: mx.Array[] = [];
    const leaky = new MemoryProfiler(options);
    await miniLoop({
      steps: 8,
      callbacks: [leaky],
      afterStep: () => {
        // 8 MiB per step held across steps: the classic leak.
        const a = mx.tidy(() => mx.add(mx.zeros([2 << 20], 'float32'), 1));
        mx.eval(a);
        kept.push(a);
      },
    });
    expect(leaky.alarm).toMatch(/memory leak suspected: RSS grew/);
    expect(leaky.summary().leakSuspected).toBe(true);
    expect(leaky.summary().rssGrowthBytes).toBeGreaterThan(32 << 20);
    for (const a of kept) a.dispose();

    const reported: Record<string, number>[] = [];
    const clean = new MemoryProfiler({ ...options, sink: (m) => void reported.push(m) });
    await miniLoop({
      steps: 8,
      callbacks: [clean],
      afterStep: () =>
        mx.tidy(() => {
          mx.eval(mx.add(mx.zeros([2 << 20], 'float32'), 1));
        }),
    });
    expect(clean.alarm).toBeNull();
    const s = clean.summary();
    expect(s.samples).toBe(8);
    expect(s.peakActiveBytes).toBeGreaterThanOrEqual(8 << 20);
    expect(s.maxRssBytes).toBeGreaterThan(0);
    expect(Object.keys(reported[0]).sort()).toEqual(['system/mlx_active_memory_mb', 'system/mlx_cache_memory_mb', 'system/mlx_peak_memory_mb', 'system/rss_memory_mb']);
    expect(clean.formatSummary()).toMatch(/^memory \(8 samples\): MLX peak [\d.]+ MB/);
  });
});

describe('RunHistory and the run summary', () => {
  it('summarizes throughput, best and final metrics of a real run', async () => {
    const history = new RunHistory();
    const run = await miniLoop({ steps: 9, evalEvery: 3, callbacks: [history] });
    expect(history.steps).toHaveLength(9);
    expect(history.evals.map((e) => e.step)).toEqual([3, 6, 9]);
    const s = summarizeRun(history, { monitor: 'val_loss' });
    expect(s.steps).toBe(9);
    expect(s.samples).toBe(9 * 16);
    const total = history.steps.reduce((a, x) => a + x.stepTimeMs, 0);
    expect(s.totalStepTimeMs).toBeCloseTo(total, 9);
    expect(s.meanStepTimeMs).toBeCloseTo(total / 9, 9);
    expect(s.samplesPerSecond).toBeCloseTo((144 * 1000) / total, 6);
    const losses = run.evals.map((e) => e.loss);
    const bestIndex = losses.indexOf(Math.min(...losses));
    expect(s.best).toMatchObject({ metric: 'val_loss', mode: 'min', value: losses[bestIndex], step: (bestIndex + 1) * 3 });
    expect(s.final?.val_loss).toBe(losses[2]);
    expect(s.finalTrainLoss).toBe(run.state.lastStep?.loss);
    expect(s.wallTimeMs).toBeGreaterThan(0);
    expect(summaryMetrics(s)['summary/steps']).toBe(9);
    const text = formatSummary(s);
    expect(text.split('\n')[0]).toBe('steps 9 (1 epoch), 144 samples');
    expect(text).toMatch(/best {2}val_loss \d\.\d{4} at step \d+: loss/);

    const restored = new RunHistory();
    restored.loadStateDict(JSON.parse(JSON.stringify(history.stateDict())));
    expect(restored.steps).toEqual(history.steps);
    expect(restored.evals).toEqual(JSON.parse(JSON.stringify(history.evals)));
  });
});

describe('ProgressBar epoch labels', () => {
  it('labels the end-of-epoch evaluation with the epoch just finished, a mid-epoch one with the current epoch', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    const bar = new ProgressBar({ stream });
    const state = createState(TrainingConfigSchema.parse({ training: { epochs: 4 } }), 40);
    const metrics = { loss: 0.5, accuracy: 0.75, f1: 0.7 } as EvalMetrics;
    // The loop evaluates at an epoch's end after moving state.epoch to the resume position (next epoch, batch 0).
    Object.assign(state, { epoch: 1, batchIndex: 0, globalStep: 10 });
    bar.onEvaluate(state, createControl(), metrics);
    Object.assign(state, { epoch: 1, batchIndex: 5, globalStep: 15 });
    bar.onEvaluate(state, createControl(), metrics);
    expect(text.trim().split('\n')).toEqual([expect.stringMatching(/^\[eval\] step 10 epoch 1\/4: /), expect.stringMatching(/^\[eval\] step 15 epoch 2\/4: /)]);
  });
});
