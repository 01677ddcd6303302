/**
 * `mlx-train serve` end to end: a model trained by the CLI, served on loopback (port 0), queried with
 * plain fetch and with MLflow's own scoring-server client, and compared with `mlx-train predict` on the
 * same rows. Also: MLflow's endpoints and error bodies, micro-batching counted in real forward passes,
 * and the CLI with a run id.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsvFile, TITANIC_TRAIN_PATH } from '../../src/data/index.js';
import { mx, nn } from '../../src/index.js';
import type { ClassifierModule } from '../../src/trainer/evaluate.js';
import { Trainer } from '../../src/trainer/index.js';
import { createPredictor } from '../../src/serve/predictor.js';
import { type ScoringServer, startScoringServer } from '../../src/serve/server.js';
import { cli } from '../cli/helpers.js';
import { runPython, startServeCli } from './serve-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-serve-'));
const db = join(dir, 'mlruns', 'mlflow.db');
const env = { MLFLOW_TRACKING_URI: `sqlite:///${db}` };
const outputDir = join(dir, 'outputs');
const config = ['--preset', 'quick', '--set', 'training.epochs=1', '--set', 'model.maxLength=32', '--output-dir', outputDir];
const ROWS = 40;

// The first Titanic rows without their label, as a test CSV and as the records a client would send.
const titanic = readCsvFile(TITANIC_TRAIN_PATH);
const features = titanic.columns.filter((c) => c !== 'Survived');
const testRows = titanic.rows.slice(0, ROWS).map((r) => features.map((c) => r[titanic.columns.indexOf(c)]));
const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const testCsvText = `${features.join(',')}\n${testRows.map((r) => r.map(quote).join(',')).join('\n')}\n`;
const testCsv = join(dir, 'test.csv');
writeFileSync(testCsv, testCsvText);
/** What pandas would send: numbers as numbers, empty cells as null. */
const cell = (v: string): string | number | null => (v === '' ? null : /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
const records = testRows.map((r) => Object.fromEntries(features.map((c, j) => [c, cell(r[j])])));

interface Prediction { label: string; probabilities: Record<string, number> }

let runId = '';
/** `mlx-train predict --json` on the same rows: the reference. */
let reference: { label: string; probabilities: number[] }[] = [];
let trainer: Trainer;
let server: ScoringServer;

const post = (body: unknown, type = 'application/json', target = server) =>
  fetch(`${target.url}/invocations`, { method: 'POST', headers: { 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

function expectSameAsPredict(predictions: Prediction[]): void {
  expect(predictions).toHaveLength(ROWS);
  predictions.forEach((p, i) => {
    expect(p.label).toBe(reference[i].label);
    expect(Math.abs(p.probabilities['0'] - reference[i].probabilities[0])).toBeLessThan(1e-5);
    expect(Math.abs(p.probabilities['1'] - reference[i].probabilities[1])).toBeLessThan(1e-5);
  });
}

beforeAll(async () => {
  const trained = cli(['train', ...config, '-e', 'serve_test', '--json'], { cwd: dir, env, timeoutMs: 600_000 });
  expect(trained.code, trained.stderr).toBe(0);
  runId = JSON.parse(trained.stdout).runId;
  const predicted = cli(['predict', testCsv, ...config, '--json', '-o', join(dir, 'submission.csv')], { cwd: dir, env, timeoutMs: 300_000 });
  expect(predicted.code, predicted.stderr).toBe(0);
  reference = JSON.parse(predicted.stdout).predictions;
  trainer = new Trainer({ preset: 'quick', set: ['training.epochs=1', 'model.maxLength=32', `outputDir=${outputDir}`], log: () => {} });
  trainer.loadWeightsFrom('best');
  const predictor = createPredictor({ model: trainer.model as ClassifierModule, data: trainer.data }, { maxBatchRows: 32, maxWaitMs: 5 });
  server = await startScoringServer({ predictor, port: 0, version: '0.1.0-test', log: () => {} });
}, 900_000);

afterAll(async () => {
  await server?.close();
});

describe('mlx-train serve: MLflow scoring protocol', () => {
  it('binds loopback and answers /ping, /health and /version as MLflow does', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ['/ping', '/health']) {
      const r = await fetch(`${server.url}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
      expect(await r.text()).toBe('\n');
    }
    const v = await fetch(`${server.url}/version`);
    expect([v.status, await v.text()]).toEqual([200, '0.1.0-test']);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    const get = await fetch(`${server.url}/invocations`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('every input form gives the predictions `mlx-train predict` writes for the same rows', async () => {
    const bodies: [unknown, string][] = [
      [{ dataframe_split: { columns: features, data: testRows.map((r) => r.map(cell)) } }, 'application/json'],
      [{ dataframe_records: records }, 'application/json'],
      [{ instances: records }, 'application/json'],
      [{ inputs: Object.fromEntries(features.map((c) => [c, records.map((r) => r[c])])) }, 'application/json; charset=utf-8'],
      [testCsvText, 'text/csv'],
    ];
    for (const [body, type] of bodies) {
      const r = await post(body, type);
      expect(r.status, await r.clone().text()).toBe(200);
      const json = (await r.json()) as { predictions: Prediction[] };
      expect(Object.keys(json)).toEqual(['predictions']);
      expectSameAsPredict(json.predictions);
    }
    // Only the columns the model reads are required: the id is not in the text.
    const slim = records.map(({ PassengerId, ...rest }) => rest);
    expectSameAsPredict(((await (await post({ dataframe_records: slim })).json()) as { predictions: Prediction[] }).predictions);
    expect(await (await post({ dataframe_records: [] })).json()).toEqual({ predictions: [] });
  });

  it("MLflow's own client (ScoringServerClient.invoke, a pandas DataFrame with NaN) and a plain requests.post get the same predictions", async () => {
    const script = `
import json, sys, pandas as pd, requests
from mlflow.pyfunc.scoring_server.client import ScoringServerClient
host, port = sys.argv[1].rsplit(":", 1)
client = ScoringServerClient(host.replace("http://", ""), int(port))
client.wait_server_ready(timeout=30)
df = pd.read_csv(sys.argv[2])
assert df["Age"].isna().any()  # pandas NaN travels as a bare NaN token
resp = client.invoke(df)
plain = requests.post(sys.argv[1] + "/invocations", json={"dataframe_split": json.loads(df.head(3).to_json(orient="split"))})
print(json.dumps({"client": resp["predictions"], "frame": resp.get_predictions().to_dict(orient="records")[:2], "plain": plain.json(), "version": client.get_version()}))
`;
    // Not spawnSync: the server answers from this process's event loop.
    const r = await runPython(script, [server.url, testCsv]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expectSameAsPredict(out.client);
    expect(out.frame[0].label).toBe(reference[0].label);
    // Three rows pad to another length than forty: equal up to float rounding.
    (out.plain.predictions as Prediction[]).forEach((p, i) => {
      expect(p.label).toBe(out.client[i].label);
      expect(Math.abs(p.probabilities['1'] - out.client[i].probabilities['1'])).toBeLessThan(1e-5);
    });
    expect(out.version).toBe('0.1.0-test');
  }, 180_000);

  it('malformed requests get 4xx with MLflow-shaped bodies that name the problem; the server keeps serving', async () => {
    const badJson = await post('{"dataframe_records": [', 'application/json');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/valid JSON/) });

    const noKey = await post({ rows: records });
    expect([noKey.status, ((await noKey.json()) as { error_code: string }).error_code]).toEqual([400, 'BAD_REQUEST']);

    const missing = await post({ dataframe_records: records.map(({ Sex, ...rest }) => rest) });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toMatch(/^missing input column 'Sex': the model reads .*Sex/);

    const wrongType = await post('Sex,Age\nmale,3', 'text/plain');
    expect([wrongType.status, wrongType.headers.get('content-type')]).toEqual([415, 'text/plain']);
    expect(await wrongType.text()).toMatch(/only supports the following content types.*Got 'text\/plain'/);

    const badCell = await post({ dataframe_records: [{ ...records[0], Age: [1, 2] }] });
    expect(((await badCell.json()) as { message: string }).message).toBe('dataframe_records[0].Age: expected a string, number, boolean or null but received a list');

    const ok = await post({ dataframe_records: records });
    expect(ok.status).toBe(200);
  });

  it('a failure of the model itself is a 500 with the reason; the request is not blamed', async () => {
    // A real module whose output is not [batch, classes] logits: predict refuses it at run time.
    class Broken extends nn.Module {
      forward(ids: mx.Array): mx.Array {
        return mx.zeros([ids.shape[0], 2, 2]);
      }
    }
    const logged: string[] = [];
    const broken = await startScoringServer({ predictor: createPredictor({ model: new Broken() as unknown as ClassifierModule, data: trainer.data }, { maxBatchRows: 8, maxWaitMs: 0 }), port: 0, version: 'x', log: (m) => logged.push(m) });
    try {
      const r = await post({ dataframe_records: records.slice(0, 2) }, 'application/json', broken);
      expect(r.status).toBe(500);
      expect(await r.json()).toMatchObject({ error_code: 'INTERNAL_ERROR', message: expect.stringMatching(/expected \[batch, numClasses\] logits/) });
      expect(logged.join('\n')).toMatch(/prediction failed/);
    } finally {
      await broken.close();
    }
  });

  it('a body over maxBodyBytes gets 413 (by Content-Length, before it is read)', async () => {
    const small = await startScoringServer({ predictor: createPredictor({ model: trainer.model as ClassifierModule, data: trainer.data }, { maxBatchRows: 8, maxWaitMs: 0 }), port: 0, maxBodyBytes: 2048, version: 'x', log: () => {} });
    try {
      const big = await post({ dataframe_records: records }, 'application/json', small);
      expect(big.status).toBe(413);
      expect(await big.json()).toMatchObject({ error_code: 'RESOURCE_LIMIT_EXCEEDED', message: expect.stringMatching(/larger than the 2048-byte limit/) });
      // Under the limit, the same server answers.
      expect((await post({ dataframe_records: records.slice(0, 2) }, 'application/json', small)).status).toBe(200);
    } finally {
      await small.close();
    }
  });

  it('micro-batching: concurrent requests share forward passes, up to maxBatchRows (1 turns it off)', async () => {
    const model = trainer.model as ClassifierModule;
    const forward = model.forward;
    let passes = 0;
    // A counting pass-through on the real model: every forward pass still runs.
    model.forward = function (this: ClassifierModule, ...args: Parameters<ClassifierModule['forward']>) {
      passes++;
      return forward.apply(this, args);
    } as ClassifierModule['forward'];
    const run = async (maxBatchRows: number) => {
      const s = await startScoringServer({ predictor: createPredictor({ model, data: trainer.data }, { maxBatchRows, maxWaitMs: 50 }), port: 0, version: 'x', log: () => {} });
      try {
        passes = 0;
        const answers = await Promise.all(records.slice(0, 16).map((r) => post({ dataframe_records: [r] }, 'application/json', s).then((x) => x.json())));
        answers.forEach((a, i) => expect((a as { predictions: Prediction[] }).predictions[0].label).toBe(reference[i].label));
        return passes;
      } finally {
        await s.close();
      }
    };
    try {
      expect(await run(1)).toBe(16);
      expect(await run(32)).toBeLessThanOrEqual(2);
      expect(await run(4)).toBeGreaterThanOrEqual(4);
    } finally {
      model.forward = forward;
    }
  });
});

describe('mlx-train serve (CLI)', () => {
  it('serves a run id from the store (its best checkpoint artifact) on --port 0 and stops on SIGTERM', async () => {
    const flags = ['--port', '0', '--max-batch', '8', '--batch-wait-ms', '7', '--max-body-mb', '0.01'];
    const { child, url, stderr } = await startServeCli([...config, '--checkpoint', runId, ...flags], { cwd: dir, env });
    try {
      expect(stderr()).toContain(`run ${runId}'s checkpoints/checkpoint-`);
      expect(stderr()).toContain('batches of up to 8 rows within 7 ms');
      // --max-body-mb 0.01: 10,485 bytes.
      const big = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: testCsvText + testCsvText.slice(testCsvText.indexOf("\n") + 1).repeat(5) });
      expect(big.status).toBe(413);
      const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: testCsvText });
      expect(r.status).toBe(200);
      expectSameAsPredict(((await r.json()) as { predictions: Prediction[] }).predictions);
    } finally {
      child.kill('SIGTERM');
    }
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  }, 300_000);

  it('an unknown run id or a bad flag is a usage error (exit 2)', () => {
    const r = cli(['serve', ...config, '--checkpoint', 'ffffffffffffffffffffffffffffffff', '--port', '0'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/no run ffffffffffffffffffffffffffffffff in the tracking store/);
    const port = cli(['serve', ...config, '--port', '70000'], { cwd: dir, env });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port: expected an integer in 0\.\.65535 but received '70000'/);
  }, 180_000);
});
