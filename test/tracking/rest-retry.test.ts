// Retry, timeout, auth and error-shaping behaviour of the REST client, against a tiny real HTTP server
// started here that answers with scripted statuses (MLflow itself is exercised in rest-store.test.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RestClient, optionsFromEnv } from '../../src/tracking/rest/http.js';
import { RestError } from '../../src/tracking/rest/errors.js';
import { freePort } from '../helpers/mlflow-server.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = (res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let replies: Reply[] = [];
let seen: Seen[] = [];

const status =
  (code: number, body: unknown = {}, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
const hangUp: Reply = (res) => res.socket?.destroy();
const never: Reply = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const reply = replies.shift() ?? status(200, { ok: true });
      reply(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  replies = [];
  seen = [];
});

const client = (extra: Partial<ConstructorParameters<typeof RestClient>[0]> = {}) =>
  new RestClient({ baseUrl, backoffMs: 5, maxRetries: 4, timeoutMs: 2000, ...extra });

describe('RestClient retries', () => {
  it('retries 429 and 503 with backoff, then returns the successful answer', async () => {
    replies = [status(429), status(503), status(200, { experiment_id: '7' })];
    const out = await client().json({ method: 'POST', path: '/api/2.0/mlflow/experiments/create', json: { name: 'x' } });
    expect(out).toEqual({ experiment_id: '7' });
    expect(seen).toHaveLength(3);
    // The same body is sent on every attempt.
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set([JSON.stringify({ name: 'x' })]));
  });

  it('retries 500, 502, 504 and 408', async () => {
    replies = [status(500), status(502), status(504), status(408), status(200, {})];
    await expect(client().json({ method: 'GET', path: '/x' })).resolves.toEqual({});
    expect(seen).toHaveLength(5);
  });

  it('honours Retry-After (seconds) on 429', async () => {
    replies = [status(429, {}, { 'retry-after': '0.3' }), status(200, { ok: 1 })];
    const t0 = performance.now();
    await client({ backoffMs: 1 }).json({ method: 'GET', path: '/x' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('gives up after maxRetries and reports the attempts and MLflow error code', async () => {
    replies = Array.from({ length: 10 }, () => status(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'busy' }));
    const err = await client({ maxRetries: 2 })
      .json({ method: 'GET', path: '/api/2.0/mlflow/runs/get' })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RestError);
    expect(err.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.httpStatus).toBe(503);
    expect(err.attempts).toBe(3);
    expect(err.message).toMatch(/HTTP 503 after 3 attempts: TEMPORARILY_UNAVAILABLE: busy/);
    expect(seen).toHaveLength(3);
  });

  it('does not retry client errors and carries error_code + message', async () => {
    replies = [status(404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Run 'abc' not found" })];
    const err = await client()
      .json({ method: 'GET', path: '/api/2.0/mlflow/runs/get', query: { run_id: 'abc' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(RestError);
    expect(err.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(err.serverMessage).toBe("Run 'abc' not found");
    expect(err.message).toContain("Run 'abc' not found");
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/api/2.0/mlflow/runs/get?run_id=abc');
  });

  it('names non-JSON error pages by status', async () => {
    replies = [status(401, '<html>login required</html>')];
    const err = await client().json({ method: 'GET', path: '/x' }).catch((e) => e);
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).toContain('<html>login required</html>');
  });

  it('retries dropped connections, then reports a NETWORK_ERROR', async () => {
    replies = [hangUp, status(200, { ok: true })];
    await expect(client().json({ method: 'GET', path: '/x' })).resolves.toEqual({ ok: true });
    replies = [hangUp, hangUp, hangUp];
    const err = await client({ maxRetries: 2 }).json({ method: 'GET', path: '/x' }).catch((e) => e);
    expect(err).toBeInstanceOf(RestError);
    expect(err.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.transport).toBe('NETWORK_ERROR');
    expect(err.attempts).toBe(3);
  });

  it('reports a refused connection as NETWORK_ERROR naming ECONNREFUSED', async () => {
    const port = await freePort();
    const err = await new RestClient({ baseUrl: `http://127.0.0.1:${port}`, maxRetries: 1, backoffMs: 1 })
      .json({ method: 'GET', path: '/x' })
      .catch((e) => e);
    expect(err.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.transport).toBe('NETWORK_ERROR');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('times out a silent server per attempt, then fails with TIMEOUT', async () => {
    replies = [never, never];
    const err = await client({ timeoutMs: 200, maxRetries: 1 }).json({ method: 'GET', path: '/x' }).catch((e) => e);
    expect(err.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.transport).toBe('TIMEOUT');
    expect(err.message).toMatch(/no answer within 200 ms/);
    expect(seen).toHaveLength(2);
  });
});

describe('RestClient auth and configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (k.startsWith('MLFLOW_')) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it('sends a bearer token from MLFLOW_TRACKING_TOKEN', async () => {
    process.env.MLFLOW_TRACKING_TOKEN = 'tok-123';
    await new RestClient(optionsFromEnv(baseUrl)).json({ method: 'GET', path: '/x' });
    expect(seen[0].headers.authorization).toBe('Bearer tok-123');
  });

  it('sends basic auth from MLFLOW_TRACKING_USERNAME/PASSWORD', async () => {
    delete process.env.MLFLOW_TRACKING_TOKEN;
    process.env.MLFLOW_TRACKING_USERNAME = 'ann';
    process.env.MLFLOW_TRACKING_PASSWORD = 'p:w';
    await new RestClient(optionsFromEnv(baseUrl)).json({ method: 'GET', path: '/x' });
    expect(seen[0].headers.authorization).toBe(`Basic ${Buffer.from('ann:p:w').toString('base64')}`);
  });

  it('sends no authorization header without credentials', async () => {
    delete process.env.MLFLOW_TRACKING_TOKEN;
    delete process.env.MLFLOW_TRACKING_USERNAME;
    delete process.env.MLFLOW_TRACKING_PASSWORD;
    await new RestClient(optionsFromEnv(baseUrl)).json({ method: 'GET', path: '/x' });
    expect(seen[0].headers.authorization).toBeUndefined();
  });

  it('reads timeout and retry settings from MLflow env vars and rejects bad values', () => {
    process.env.MLFLOW_HTTP_REQUEST_TIMEOUT = '7';
    process.env.MLFLOW_HTTP_REQUEST_MAX_RETRIES = '2';
    expect(optionsFromEnv(baseUrl)).toMatchObject({ timeoutMs: 7000, maxRetries: 2 });
    process.env.MLFLOW_HTTP_REQUEST_TIMEOUT = 'soon';
    expect(() => optionsFromEnv(baseUrl)).toThrow(/MLFLOW_HTTP_REQUEST_TIMEOUT but received 'soon'/);
  });

  it('says that MLFLOW_TRACKING_INSECURE_TLS is not applied instead of ignoring it silently', async () => {
    process.env.MLFLOW_TRACKING_INSECURE_TLS = 'true';
    const warned = new Promise<Error & { code?: string }>((r) => process.once('warning', r));
    optionsFromEnv(baseUrl);
    const warning = await warned;
    expect(warning.code).toBe('MLXT_INSECURE_TLS_IGNORED');
    expect(warning.message).toMatch(/NODE_EXTRA_CA_CERTS/);
  });

  it('rejects non-http base URLs', () => {
    expect(() => new RestClient({ baseUrl: 'ftp://host' })).toThrow(RestError);
    expect(() => new RestClient({ baseUrl: 'not a url' })).toThrow(/expected an http\(s\) URL/);
  });
});
