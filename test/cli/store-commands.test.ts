import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { TrackingStore } from '../../src/tracking/index.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-cli-'));
const uri = `sqlite:///${join(dir, 'mlflow.db')}`;
const runIds: string[] = [];

beforeAll(async () => {
  const store = new TrackingStore(uri);
  const exp = await store.createExperiment('cli_test');
  for (const [i, acc] of [0.7, 0.85].entries()) {
    const run = await store.createRun(exp, { runName: `run-${i}` });
    await store.logBatch(run.info.runId, {
      metrics: [{ key: 'val_accuracy', value: acc, step: 1 }, { key: 'train_loss', value: 1 - acc, step: 1 }],
      params: [{ key: 'training.learningRate', value: String(0.001 * (i + 1)) }, { key: 'model.size', value: 'tiny' }],
    });
    await store.setTerminated(run.info.runId, 'FINISHED');
    runIds.push(run.info.runId);
  }
  const model = await store.createRegisteredModel('cli-model');
  await store.createModelVersion(model.name, 'runs:/x/model', { runId: runIds[1] });
  await store.close();
});

describe('store commands', () => {
  it('experiments --json lists the experiment', () => {
    const r = cli(['experiments', '--json', '--tracking-uri', uri]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((e: { name: string }) => e.name)).toContain('cli_test');
  });

  it('runs filters with MLflow syntax and orders', () => {
    const r = cli(['runs', '--json', '--tracking-uri', uri, '-e', 'cli_test', '-f', 'metrics.val_accuracy > 0.8']);
    expect(r.code).toBe(0);
    const runs = JSON.parse(r.stdout);
    expect(runs.map((x: { info: { runId: string } }) => x.info.runId)).toEqual([runIds[1]]);
    const table = cli(['runs', '--tracking-uri', uri, '-o', 'metrics.val_accuracy ASC']);
    expect(table.code).toBe(0);
    expect(table.stdout.indexOf('run-0')).toBeLessThan(table.stdout.indexOf('run-1'));
  });

  it('runs show and compare', () => {
    const show = cli(['runs', 'show', runIds[0], '--tracking-uri', uri, '--json']);
    expect(JSON.parse(show.stdout).data.params['training.learningRate']).toBe('0.001');
    const cmp = cli(['runs', 'compare', runIds[0], runIds[1], '--tracking-uri', uri]);
    expect(cmp.code).toBe(0);
    expect(cmp.stdout).toMatch(/params\.training\.learningRate\s+0\.001\s+0\.002/);
    expect(cmp.stdout).not.toMatch(/params\.model\.size/); // equal params hidden without --all
  });

  it('models lists the registry', () => {
    const r = cli(['models', '--json', '--tracking-uri', uri]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].name).toBe('cli-model');
  });

  it('honours MLFLOW_TRACKING_URI', () => {
    const r = cli(['experiments', '--json'], { env: { MLFLOW_TRACKING_URI: uri } });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cli_test');
  });
});

describe('bad invocations', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['unknown command', ['bogus'], 2, /unknown command 'bogus'/],
    ['unknown flag', ['runs', '--bogus'], 2, /unknown option '--bogus'/],
    ['bad filter', ['runs', '--tracking-uri', uri, '-f', "params.x = 'a' OR 1=1 --"], 2, /error\[USAGE_ERROR\]: -f\/--filter or -o\/--order-by: Invalid filter/],
    ['unknown experiment', ['runs', '--tracking-uri', uri, '-e', 'nope'], 2, /no experiment named 'nope'/],
    ['missing store', ['runs', '--tracking-uri', `sqlite:///${join(dir, 'none.db')}`], 2, /no tracking store at/],
    ['unknown run id', ['runs', 'show', 'deadbeef', '--tracking-uri', uri], 1, /deadbeef/],
    ['show without id', ['runs', 'show', '--tracking-uri', uri], 2, /expected exactly one RUN_ID/],
    ['compare one run', ['runs', 'compare', 'a', '--tracking-uri', uri], 2, /at least two RUN_IDs/],
    ['unknown runs action', ['runs', 'frobnicate', '--tracking-uri', uri], 2, /unknown action 'frobnicate'/],
    ['bad --max', ['runs', '--max', 'x', '--tracking-uri', uri], 2, /--max: expected an integer from 1 to 50000/],
    ['unknown model', ['models', 'show', 'nope', '--tracking-uri', uri], 1, /nope/],
    ['bad tracking uri scheme', ['experiments', '--tracking-uri', 'ftp://host/x'], 2, /unsupported tracking URI/],
    ['not a database', ['experiments', '--tracking-uri', `sqlite:///${join(dir, '..')}`], 1, /error\[/],
    ['config unknown preset', ['config', '--preset', 'quik'], 2, /unknown preset 'quik'; did you mean 'quick'/],
    ['config bad --set', ['config', '--set', 'training.lr=1'], 2, /training\.lr: unknown key/],
    ['config missing file', ['config', '-c', join(dir, 'none.yaml')], 2, /config file not found/],
    ['config --init over existing', ['config', '--init', join(dir, 'mlflow.db')], 2, /already exists/],
  ];
  for (const [name, args, code, pattern] of cases) {
    it(`${name} → exit ${code} with a one-line error`, () => {
      const r = cli(args);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
    });
  }
});

describe('conventions', () => {
  it('--help and --version', () => {
    const h = cli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/Commands:/);
    expect(cli(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const c of ['config', 'doctor', 'runs', 'experiments', 'models']) {
      const r = cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples:/);
    }
  });

  it('config prints YAML, JSON, validates and writes a starter', () => {
    expect(cli(['config', '--preset', 'quick']).stdout).toMatch(/learningRate: 0\.0003/);
    expect(JSON.parse(cli(['config', '--json']).stdout).training.learningRate).toBe(5e-5);
    expect(cli(['config', '--preset', 'standard', '--validate']).stdout.trim()).toBe('ok');
    const starter = join(dir, 'starter.yaml');
    expect(cli(['config', '--init', starter]).code).toBe(0);
    expect(cli(['config', '-c', starter, '--validate']).stdout.trim()).toBe('ok');
  });

  it('doctor --json reports BLAS, compiler and store', () => {
    const r = cli(['doctor', '--json', '--tracking-uri', uri]);
    expect(r.code).toBe(0);
    const names = JSON.parse(r.stdout).checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(expect.arrayContaining(['MLX', 'BLAS', 'threads', 'C++ compiler for mx.compile', 'memory', 'tracking store', 'Node.js']));
    // Which OpenBLAS, its build string, its kernels and who chose them (issue 21).
    const blas = JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'BLAS');
    if (blas.details.kind === 'openblas') {
      expect(blas.details.config).toMatch(/^OpenBLAS \d/);
      expect(blas.value).toContain(`openblas ${blas.details.version} (`);
      expect(blas.value).toContain(`${blas.details.core} kernels, ${blas.details.coreChosenBy === 'detected' ? 'detected by OpenBLAS' : 'OPENBLAS_CORETYPE'}`);
    }
  });

  it('doctor lists the fused kernels in use, and none with MLX_TRAIN_FUSED=0', () => {
    const fusedCheck = (env: Record<string, string | undefined>) => {
      const r = cli(['doctor', '--json', '--tracking-uri', uri], { env });
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout).checks.find((c: { name: string }) => c.name === 'fused CPU kernels');
    };
    const on = fusedCheck({ MLX_TRAIN_FUSED: undefined });
    expect(on.details.enabled).toBe(true);
    expect(on.details.kernels.map((k: { name: string }) => k.name)).toEqual(['gelu', 'geluApprox', 'attention', 'layerNorm', 'dropout', 'embedding', 'linear', 'add', 'biasAdd', 'optimizerUpdate', 'sumOfSquares']);
    expect(on.value).toMatch(/^on, over \d+ thread\(s\), attention matmuls (avx512|avx2|portable): gelu, geluApprox, attention, layerNorm, dropout, embedding, linear, add, biasAdd, optimizerUpdate, sumOfSquares$/);
    // The matmul path follows MLX_TRAIN_SMALL_GEMM's cap.
    expect(fusedCheck({ MLX_TRAIN_SMALL_GEMM: 'portable' }).details.smallGemmPath).toBe('portable');
    expect(on.details.smallGemmPath).toBe(mx.fused.smallGemmPath());
    const off = fusedCheck({ MLX_TRAIN_FUSED: '0' });
    expect(off.details).toMatchObject({ enabled: false, kernels: [] });
    expect(off.value).toMatch(/^off \(MLX_TRAIN_FUSED=0\)/);
  });
});
