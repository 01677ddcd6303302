import { StoreError, type StoreErrorCode } from '../errors.js';

/** Why a request failed before MLflow could answer it (the `code` is then TEMPORARILY_UNAVAILABLE or INVALID_PARAMETER_VALUE). */
export type TransportFailure = 'NETWORK_ERROR' | 'TIMEOUT' | 'INVALID_URI' | 'INVALID_CONFIGURATION' | 'BAD_RESPONSE';

export interface RestErrorDetails {
  /** HTTP status of the failing answer, absent for network errors and timeouts. */
  httpStatus?: number;
  /** How many attempts were made (1 = no retry). */
  attempts?: number;
  /** MLflow's own `message` field, unchanged. */
  serverMessage?: string;
  /** Set when no MLflow answer was involved. */
  transport?: TransportFailure;
  url?: string;
  cause?: unknown;
}

/**
 * A failure talking to an MLflow tracking server. A StoreError like the SQLite backend's, so callers
 * branch on the same `code`: MLflow's `error_code` exactly as the server sent it (RESOURCE_DOES_NOT_EXIST,
 * INVALID_PARAMETER_VALUE, and server-only ones such as ENDPOINT_NOT_FOUND or REQUEST_LIMIT_EXCEEDED).
 * Network trouble and timeouts after the last retry use TEMPORARILY_UNAVAILABLE with `transport` set.
 */
export class RestError extends StoreError {
  readonly httpStatus?: number;
  readonly attempts?: number;
  readonly serverMessage?: string;
  readonly transport?: TransportFailure;
  readonly url?: string;

  constructor(message: string, code: string, details: RestErrorDetails = {}) {
    // MLflow's error-code space is larger than the codes the local store raises; keep the server's.
    super(message, code as StoreErrorCode, details.cause === undefined ? undefined : { cause: details.cause });
    this.httpStatus = details.httpStatus;
    this.attempts = details.attempts;
    this.serverMessage = details.serverMessage;
    this.transport = details.transport;
    this.url = details.url;
  }
}
