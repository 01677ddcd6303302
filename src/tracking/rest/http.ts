// JSON-over-HTTP client for an MLflow tracking server: auth from MLflow's env vars, per-request
// timeouts, and bounded exponential backoff on 429/5xx and network failures. Every failure becomes a
// RestError carrying MLflow's error_code and message so callers can branch on the code.
import { RestError } from './errors.js';

export interface RestClientOptions {
  /** Server root, e.g. `http://127.0.0.1:5000` (a trailing slash or path prefix is kept). */
  baseUrl: string;
  /** Bearer token (MLFLOW_TRACKING_TOKEN). Wins over username/password. */
  token?: string;
  /** Basic auth (MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD). */
  username?: string;
  password?: string;
  /** Per attempt, ms (MLFLOW_HTTP_REQUEST_TIMEOUT is in seconds). Default 120 s like MLflow. */
  timeoutMs?: number;
  /** Retries after the first attempt (MLFLOW_HTTP_REQUEST_MAX_RETRIES). Default 5. */
  maxRetries?: number;
  /** First backoff delay in ms; doubles each retry (MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR, seconds). Default 500. */
  backoffMs?: number;
  /** Cap for one backoff delay (including a server's Retry-After). Default 30 s. */
  maxBackoffMs?: number;
}

/** HTTP statuses worth another try: rate limiting and transient server trouble (MLflow's own list). */
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function numberFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new RestError(`expected a non-negative number in ${name} but received '${raw}'`, 'INVALID_PARAMETER_VALUE', {
      transport: 'INVALID_CONFIGURATION',
    });
  }
  return value;
}

/** Client options from MLflow's documented environment variables; explicit options win. */
export function optionsFromEnv(baseUrl: string, overrides: Partial<RestClientOptions> = {}): RestClientOptions {
  const timeoutS = numberFromEnv('MLFLOW_HTTP_REQUEST_TIMEOUT');
  const backoffS = numberFromEnv('MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR');
  const insecure = process.env.MLFLOW_TRACKING_INSECURE_TLS;
  if (insecure !== undefined && /^(1|true|yes)$/i.test(insecure) && !warnedInsecure) {
    // Node's built-in fetch has no per-request switch to skip certificate checks, and turning them off
    // process-wide would weaken every other connection. Say so instead of silently ignoring it.
    warnedInsecure = true;
    process.emitWarning(
      'MLFLOW_TRACKING_INSECURE_TLS is not applied by mlx-train: trust the server certificate with ' +
        'NODE_EXTRA_CA_CERTS=/path/to/ca.pem instead.',
      { code: 'MLXT_INSECURE_TLS_IGNORED' },
    );
  }
  return {
    baseUrl,
    token: process.env.MLFLOW_TRACKING_TOKEN || undefined,
    username: process.env.MLFLOW_TRACKING_USERNAME || undefined,
    password: process.env.MLFLOW_TRACKING_PASSWORD || undefined,
    timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
    maxRetries: numberFromEnv('MLFLOW_HTTP_REQUEST_MAX_RETRIES'),
    backoffMs: backoffS === undefined ? undefined : backoffS * 1000,
    ...stripUndefined(overrides),
  };
}
let warnedInsecure = false;

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, e.g. `/api/2.0/mlflow/runs/get`. */
  path: string;
  query?: Record<string, QueryValue | QueryValue[]>;
  /** JSON body (objects) or raw bytes (artifacts). */
  json?: unknown;
  body?: Uint8Array;
  contentType?: string;
}

export class RestClient {
  readonly baseUrl: string;
  private readonly authHeader: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;

  constructor(options: RestClientOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw badUri(options.baseUrl);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw badUri(options.baseUrl);
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (options.token) this.authHeader = `Bearer ${options.token}`;
    else if (options.username !== undefined || options.password !== undefined) {
      const pair = `${options.username ?? ''}:${options.password ?? ''}`;
      this.authHeader = `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
    }
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxRetries = Math.floor(options.maxRetries ?? 5);
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
  }

  /** Sends a request and parses the JSON answer (`{}` for an empty body). */
  async json<T = Record<string, unknown>>(spec: RequestSpec): Promise<T> {
    const res = await this.send(spec);
    const text = await res.text();
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new RestError(
        `${spec.method} ${spec.path}: the server answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
        'INTERNAL_ERROR',
        { httpStatus: res.status, transport: 'BAD_RESPONSE' },
      );
    }
  }

  /** Sends a request and returns the raw successful response (used for artifact downloads). */
  async send(spec: RequestSpec): Promise<Response> {
    const url = this.url(spec);
    const headers: Record<string, string> = {};
    if (this.authHeader) headers.authorization = this.authHeader;
    let body: string | Uint8Array | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(spec.json);
    } else if (spec.body !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
      body = spec.body;
    }
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { method: spec.method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (err) {
        if (attempt < this.maxRetries) {
          await sleep(this.delay(attempt));
          continue;
        }
        const timedOut = (err as Error).name === 'TimeoutError';
        throw new RestError(
          `${spec.method} ${url} failed after ${attempt + 1} attempt(s): ` +
            (timedOut ? `no answer within ${this.timeoutMs} ms` : describeNetworkError(err)),
          'TEMPORARILY_UNAVAILABLE',
          { cause: err, attempts: attempt + 1, transport: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR', url },
        );
      }
      if (res.ok) return res;
      if (RETRY_STATUSES.has(res.status) && attempt < this.maxRetries) {
        await res.body?.cancel();
        await sleep(this.delay(attempt, res.headers.get('retry-after')));
        continue;
      }
      throw await errorFromResponse(spec, url, res, attempt + 1);
    }
  }

  private url(spec: RequestSpec): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) {
        if (item !== undefined) params.append(key, String(item));
      }
    }
    const query = params.toString();
    return `${this.baseUrl}${spec.path}${query ? `?${query}` : ''}`;
  }

  /** Exponential backoff with ±25 % jitter (so parallel writers spread out), or the server's Retry-After. */
  private delay(attempt: number, retryAfter?: string | null): number {
    const hinted = retryAfter ? parseRetryAfter(retryAfter) : undefined;
    const base = hinted ?? this.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
    return Math.min(Math.max(0, base), this.maxBackoffMs);
  }
}

function badUri(uri: string): RestError {
  return new RestError(`expected an http(s) URL for the tracking server but received '${uri}'`, 'INVALID_PARAMETER_VALUE', {
    transport: 'INVALID_URI',
  });
}

function parseRetryAfter(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : date - Date.now();
}

function describeNetworkError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause;
  return cause?.code ? `${cause.code} (${cause.message ?? e.message})` : e.message;
}

async function errorFromResponse(spec: RequestSpec, url: string, res: Response, attempts: number): Promise<RestError> {
  const text = await res.text().catch(() => '');
  let errorCode: string | undefined;
  let message: string | undefined;
  try {
    const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown; detail?: unknown };
    if (typeof parsed.error_code === 'string') errorCode = parsed.error_code;
    if (typeof parsed.message === 'string') message = parsed.message;
    else if (parsed.detail !== undefined) message = JSON.stringify(parsed.detail);
  } catch {
    // Not MLflow JSON (a proxy's HTML page, say): quote a little of it.
  }
  const code = errorCode ?? codeForStatus(res.status);
  const detail = message ?? (text.trim() ? text.trim().slice(0, 300) : res.statusText);
  const retried = attempts > 1 ? ` after ${attempts} attempts` : '';
  return new RestError(`MLflow ${spec.method} ${spec.path} failed with HTTP ${res.status}${retried}: ${code}: ${detail}`, code, {
    httpStatus: res.status,
    attempts,
    serverMessage: message,
    url,
  });
}

/** MLflow's own mapping from HTTP status to error code, for answers without an MLflow JSON body. */
function codeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'ENDPOINT_NOT_FOUND';
    case 429:
      return 'REQUEST_LIMIT_EXCEEDED';
    case 503:
      return 'TEMPORARILY_UNAVAILABLE';
    default:
      return status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
