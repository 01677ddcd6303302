/**
 * The `mlx-train serve` HTTP server: MLflow's pyfunc scoring protocol on plain node:http, so MLflow's own
 * clients (and anything written against `mlflow models serve`) work unchanged:
 *   GET /ping, GET /health  → 200 "\n"          GET /version → the version string
 *   POST /invocations (JSON or CSV rows)       → {"predictions": [...]}
 * Refused requests get MLflow's status and body: 415 with a plain-text reason for a content type it
 * cannot read, else a JSON {"error_code", "message"}; 5xx only for failures of the model itself.
 * Bodies larger than maxBodyBytes are refused with 413 before they are read whole.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataError, MlxTrainError, ServeError } from '../errors.js';
import { bodyFormat, parseRequestBody } from './parse.js';
import type { Predictor } from './predictor.js';

export const DEFAULT_SERVE_HOST = '127.0.0.1';
export const DEFAULT_SERVE_PORT = 5001;
export const DEFAULT_MAX_BODY_BYTES = 16 * 2 ** 20;

export interface ServeOptions {
  predictor: Predictor;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** The largest request body accepted (bytes); larger ones get 413. */
  maxBodyBytes?: number;
  /** What GET /version answers (MLflow answers its own version). */
  version: string;
  /** Where 5xx failures are reported (default stderr). */
  log?: (message: string) => void;
}

export interface ScoringServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Reads the body up to `limit` bytes; a larger one (by Content-Length or as it streams) is a 413. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new ServeError(`the request body is larger than the ${limit}-byte limit (--max-body-mb); send fewer rows per request`, 'SERVE_BODY_TOO_LARGE', 'RESOURCE_LIMIT_EXCEEDED');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export async function startScoringServer(options: ServeOptions): Promise<ScoringServer> {
  const { predictor } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`expected a positive integer for maxBodyBytes but received ${maxBodyBytes}`);
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));

  const fail = (req: IncomingMessage, res: ServerResponse, err: unknown) => {
    if (err instanceof ServeError) {
      // MLflow answers an unreadable content type in plain text, everything else as JSON.
      if (err.status === 415) send(res, 415, err.message, 'text/plain');
      else send(res, err.status, JSON.stringify({ error_code: err.mlflowCode, message: err.message }));
      if (err.status === 413) {
        // The rest of an oversized body is not read: close the connection once the answer is out.
        res.once('finish', () => req.destroy());
      }
      return;
    }
    if (err instanceof DataError) return send(res, 400, JSON.stringify({ error_code: 'BAD_REQUEST', message: err.message }));
    const message = err instanceof Error ? err.message : String(err);
    log(`mlx-train serve: prediction failed: ${err instanceof MlxTrainError ? `[${err.code}] ` : ''}${message}`);
    send(res, 500, JSON.stringify({ error_code: 'INTERNAL_ERROR', message: `the model failed on this request: ${message}` }));
  };

  const invocations = async (req: IncomingMessage, res: ServerResponse) => {
    const format = bodyFormat(req.headers['content-type']);
    const body = await readBody(req, maxBodyBytes);
    const rows = parseRequestBody(body, format, predictor.singleColumn);
    const predictions = await predictor.predict(rows);
    send(res, 200, JSON.stringify({ predictions }));
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/invocations') {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return send(res, 405, JSON.stringify({ error_code: 'BAD_REQUEST', message: `${req.method} /invocations: scoring takes POST` }));
      }
      invocations(req, res).catch((err) => fail(req, res, err));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, JSON.stringify({ error_code: 'BAD_REQUEST', message: `${req.method} ${path}: only GET` }));
    }
    // MLflow answers these with media type application/json even though the bodies are not JSON.
    if (path === '/ping' || path === '/health') return send(res, 200, '\n');
    if (path === '/version') return send(res, 200, options.version);
    send(res, 404, JSON.stringify({ error_code: 'ENDPOINT_NOT_FOUND', message: `no route ${path}: the scoring server answers POST /invocations, GET /ping, /health, /version` }));
  });

  const host = options.host ?? DEFAULT_SERVE_HOST;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new ServeError(`port ${options.port} on ${host} is already in use; pick another with --port`, 'SERVE_PORT_IN_USE') : err);
    });
    server.listen(options.port ?? DEFAULT_SERVE_PORT, host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((done) => {
        predictor.close();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
