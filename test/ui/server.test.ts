/**
 * The dashboard server over a real SQLite store, through real HTTP: read-only, loopback by default, a CSP
 * on every answer, artifact reads that cannot leave the run's artifact root, filters through our grammar.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localArtifactDir } from '../../src/tracking/sqlite/artifacts.js';
import { CONTENT_SECURITY_POLICY, startUiServer, type UiServer } from '../../src/ui/server.js';
import { cli, cliPath, root } from '../cli/helpers.js';
import { makeDemoStore, type DemoStore } from './helpers.js';

let demo: DemoStore;
let ui: UiServer;

beforeAll(async () => {
  demo = await makeDemoStore();
  ui = await startUiServer({ store: demo.store, port: 0, live: { intervalMs: 200 } });
});
afterAll(async () => {
  await ui?.close();
  await demo?.store.close();
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, ui.url), init);
// The API's JSON, checked field by field in each test.
const json = async (res: Response | Promise<Response>): Promise<any> => (await res).json();
const artifact = (path: string, run = demo.runs.fast) => get(`/api/runs/${run}/artifact?${new URLSearchParams({ path })}`);

describe('mlx-train ui server', () => {
  it('binds 127.0.0.1 unless told otherwise, and --host is honoured', async () => {
    expect((ui.server.address() as AddressInfo).address).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) {
      // The loopback-only server does not answer on the machine's other address.
      const port = (ui.server.address() as AddressInfo).port;
      await expect(fetch(`http://${external.address}:${port}/`)).rejects.toThrow();
    }
    const open = await startUiServer({ store: demo.store, port: 0, host: '0.0.0.0' });
    try {
      expect((open.server.address() as AddressInfo).address).toBe('0.0.0.0');
      expect((await fetch(`http://127.0.0.1:${(open.server.address() as AddressInfo).port}/api/experiments`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });

  it('serves the built app and the API with a CSP that allows only its own origin', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    const html = await page.text();
    // No CDN, no inline script: every script and stylesheet is a same-origin file.
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const api = await get('/api/experiments');
    expect(api.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const { experiments } = await json(api);
    expect(experiments.map((e: { name: string }) => e.name).sort()).toEqual(['Default', 'sweep', 'titanic']);
  });

  it('is read-only: anything but GET/HEAD is 405', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await get(`/api/runs/${demo.runs.fast}`, { method });
      expect(res.status).toBe(405);
    }
    expect((await demo.store.getRun(demo.runs.fast)).info.lifecycleStage).toBe('active');
  });

  it('filters and orders runs through our filter grammar; SQL is refused', async () => {
    const q = (filter: string, order?: string) => get(`/api/runs?${new URLSearchParams({ experiments: demo.experimentId, filter, ...(order ? { order } : {}) })}`);
    const small = await json(q("params.model.size = 'small'"));
    expect(small.runs.map((r: { runName: string }) => r.runName)).toEqual(['slow-lr']);
    const ordered = await json(q('', 'metrics.train_loss ASC'));
    expect(ordered.runs.map((r: { runName: string }) => r.runName)).toEqual(['fast-lr', 'still-training', 'slow-lr']);
    const injected = await q("params.model.size = 'small' OR 1=1; DROP TABLE runs; --");
    expect(injected.status).toBe(400);
    expect((await json(injected)).code).toBe('UI_BAD_FILTER');
    const bad = await q('metrics.val_accuracy >> 0.8');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/>>|token|expected/i);
    expect((await json(q(''))).runs).toHaveLength(3);
  });

  it('nests sweep trials under their parent', async () => {
    const detail = await json(get(`/api/runs/${demo.runs.parent}`));
    expect(detail.children.map((c: { runId: string }) => c.runId).sort()).toEqual([...demo.runs.trials].sort());
    const { runs } = await json(get(`/api/runs?experiments=${demo.sweepExperimentId}`));
    expect(runs.filter((r: { parentRunId: string | null }) => r.parentRunId === demo.runs.parent)).toHaveLength(4);
  });

  it('returns metric histories, the resolved config and artifacts (images inline, others as downloads)', async () => {
    const { series } = await json(get(`/api/runs/${demo.runs.fast}/metrics?keys=train_loss`));
    expect(series.train_loss.step).toHaveLength(60);
    expect((await json(get(`/api/runs/${demo.runs.fast}`))).configYaml).toContain('learningRate: 0.01');
    const png = await artifact('plots/training_curves.png');
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(png.headers.get('content-disposition')).toMatch(/^inline/);
    expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    const csv = await get(`/api/runs/${demo.runs.fast}/artifact?path=predictions.csv&download=1`);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="predictions.csv"');
    expect(await csv.text()).toBe('id,prediction\n1,0\n2,1\n');
  });

  it('confines artifact reads to the run\'s artifact root: no .., no absolute paths, no symlinks out', async () => {
    const dir = localArtifactDir((await demo.store.getRun(demo.runs.fast)).info.artifactUri);
    const secret = join(demo.dir, 'secret.txt');
    writeFileSync(secret, 'not for the browser');
    symlinkSync(secret, join(dir, 'link.txt'));
    mkdirSync(join(demo.dir, 'outside'));
    writeFileSync(join(demo.dir, 'outside', 'x.txt'), 'outside');
    symlinkSync(join(demo.dir, 'outside'), join(dir, 'linked-dir'));
    for (const path of ['../../../secret.txt', 'plots/../../../../secret.txt', secret, '/etc/passwd', 'plots/./training_curves.png', '..\\..\\secret.txt']) {
      const res = await artifact(path);
      expect(res.status, path).toBe(400);
      expect(await res.text()).not.toContain('not for the browser');
    }
    for (const path of ['link.txt', 'linked-dir/x.txt']) {
      const res = await artifact(path);
      expect(res.status, path).toBe(403);
      expect((await json(res)).code).toBe('UI_PATH_OUTSIDE_ROOT');
    }
    expect((await get(`/api/runs/${demo.runs.fast}/artifacts?path=linked-dir`)).status).toBe(403);
    // Raw, unnormalised paths on the wire (fetch would resolve the dots itself).
    for (const raw of ['/../package.json', '/assets/../../package.json', `/api/runs/${demo.runs.fast}/artifact?path=..%2F..%2F..%2Fsecret.txt`]) {
      const { status, body } = await rawGet(raw);
      expect(status, raw).not.toBe(200);
      expect(body).not.toContain('not for the browser');
      expect(body).not.toContain('"name": "mlx-train"');
    }
  });

  it('streams new points of a running run over server-sent events', async () => {
    const res = await get(`/api/runs/${demo.runs.running}/live`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil(/event: points/);
    const logged = Date.now();
    await demo.store.logMetric(demo.runs.running, 'train_loss', 0.123, { step: 21 });
    await readUntil(/"step":\[21\]/);
    expect(Date.now() - logged).toBeLessThan(2000);
    await reader.cancel();
  });

  it('mlx-train ui prints its URL on 127.0.0.1 and warns when --host opens it up', async () => {
    const launch = (args: string[]) => new Promise<{ out: string; err: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, 'ui', '--port', '0', '--tracking-uri', demo.uri, ...args], { cwd: root });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; if (out.includes('\n')) child.kill('SIGINT'); });
      child.stderr.on('data', (d) => { err += d; });
      child.on('exit', () => resolve({ out, err }));
      child.on('error', reject);
    });
    const local = await launch([]);
    expect(local.out).toMatch(/^mlx-train ui: http:\/\/127\.0\.0\.1:\d+\//);
    expect(local.err).toBe('');
    const open = await launch(['--host', '0.0.0.0']);
    expect(open.out).toMatch(/http:\/\/0\.0\.0\.0:\d+\//);
    expect(open.err).toMatch(/warning: listening on 0\.0\.0\.0/);
  });
});

describe('mlx-train ui errors', () => {
  it('a bad --port is a usage error (exit 2); a port in use is a runtime error naming the port', async () => {
    const bad = cli(['ui', '--port', 'eighty', '--tracking-uri', demo.uri]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port: expected an integer in 0\.\.65535 but received 'eighty'/);
    const { port } = ui.server.address() as AddressInfo;
    await expect(startUiServer({ store: demo.store, port })).rejects.toMatchObject({ code: 'UI_PORT_IN_USE', message: expect.stringContaining(`port ${port}`) });
    const taken = cli(['ui', '--port', String(port), '--tracking-uri', demo.uri]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/error\[UI_PORT_IN_USE\]/);
  });
});

function rawGet(path: string): Promise<{ status: number; body: string }> {
  const { port } = ui.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
