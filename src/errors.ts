/**
 * Every error class of mlx-train, in one place. Like better-sqlite3's one error class with a `code`, each
 * error carries a stable `code` (printed by the CLI as `error[CODE]`); the code table below gives each
 * code one kind, each kind one class, and each kind the CLI's exit code (2: the user's input, 1: a runtime
 * failure). `instanceof ConfigError` therefore catches every config mistake, whichever module raised it.
 */

/** The CLI exit code of each kind of error: usage and config mistakes exit 2, everything else 1. */
export const ERROR_KINDS = {
  usage: 2,
  config: 2,
  data: 1,
  tokenizer: 1,
  checkpoint: 1,
  training: 1,
  store: 1,
  migrate: 1,
  mlx: 1,
  shape: 1,
  dtype: 1,
  native: 1,
  distributed: 1,
  ui: 1,
  serve: 1,
} as const;
export type ErrorKind = keyof typeof ERROR_KINDS;

/**
 * code → kind. A code belongs to exactly one kind, and so to one class (see each class's `kind`).
 * The store's codes are MLflow's `databricks_pb2.ErrorCode` names, so both store backends agree; a
 * server may send codes of its own (RestError keeps them; they are store errors that exit 1).
 */
export const ERROR_CODES = {
  USAGE_ERROR: 'usage',
  CONFIG_ERROR: 'config',
  /** A data template that does not compile: a config mistake, found before training. */
  TEMPLATE_ERROR: 'config',
  DATA_ERROR: 'data',
  TOKENIZER_ERROR: 'tokenizer',
  CHECKPOINT_ERROR: 'checkpoint',
  /** A LoRA adapter folder that cannot be saved or used. */
  ADAPTER_ERROR: 'checkpoint',
  /** A parameter tree or weight file that does not fit a module. */
  WEIGHTS_MISMATCH: 'checkpoint',
  /** A model folder that would overwrite something. */
  OUTPUT_EXISTS: 'checkpoint',
  NON_FINITE_LOSS: 'training',
  /** A sweep trial stopped by its pruner (the worker's signal; the trial run ends KILLED). */
  TRIAL_PRUNED: 'training',
  /** A sweep stopped by Ctrl-C; `sweep --resume` continues it. */
  SWEEP_INTERRUPTED: 'training',
  /** A sweep that cannot run its trials (e.g. the worker script is missing from the build). */
  SWEEP_ERROR: 'training',
  INVALID_PARAMETER_VALUE: 'store',
  RESOURCE_DOES_NOT_EXIST: 'store',
  RESOURCE_ALREADY_EXISTS: 'store',
  INVALID_STATE: 'store',
  BAD_REQUEST: 'store',
  INTERNAL_ERROR: 'store',
  TEMPORARILY_UNAVAILABLE: 'store',
  PERMISSION_DENIED: 'store',
  /** The database file is not an MLflow store, is corrupt, or is at a schema revision we do not write. */
  STORE_SCHEMA_MISMATCH: 'store',
  /** The store could not be opened at train start, so nothing was trained. */
  TRACKING_UNAVAILABLE: 'store',
  /** A migration source that cannot be read. */
  MIGRATE_SOURCE: 'migrate',
  /** A run that is already in the target with other content. */
  MIGRATE_RUN_CLASH: 'migrate',
  /** An artifact file that is already in the target with other content. */
  MIGRATE_ARTIFACT_CLASH: 'migrate',
  /** A backup made before a migration that does not match its original. */
  MIGRATE_BACKUP: 'migrate',
  MLX_ERROR: 'mlx',
  MLX_INVALID_ARGUMENT: 'mlx',
  MLX_OUT_OF_MEMORY: 'mlx',
  SHAPE_ERROR: 'shape',
  DTYPE_ERROR: 'dtype',
  NATIVE_LOAD_ERROR: 'native',
  DISTRIBUTED_ERROR: 'distributed',
  UI_BAD_REQUEST: 'ui',
  UI_BAD_FILTER: 'ui',
  UI_NOT_FOUND: 'ui',
  UI_PATH_OUTSIDE_ROOT: 'ui',
  UI_ASSETS_MISSING: 'ui',
  UI_PORT_IN_USE: 'ui',
  /** A `serve` request the scoring server refuses (bad JSON, a missing column…): HTTP 400. */
  SERVE_BAD_REQUEST: 'serve',
  /** A `serve` request in a content type or charset it cannot read: HTTP 415. */
  SERVE_UNSUPPORTED_MEDIA_TYPE: 'serve',
  /** A `serve` request body over --max-body-mb: HTTP 413. */
  SERVE_BODY_TOO_LARGE: 'serve',
  SERVE_PORT_IN_USE: 'serve',
} as const satisfies Record<string, ErrorKind>;
export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes of one kind. */
export type CodeOf<K extends ErrorKind> = { [C in ErrorCode]: (typeof ERROR_CODES)[C] extends K ? C : never }[ErrorCode];

/** The CLI exit code for anything thrown: 2 for a usage or config mistake, 1 otherwise. */
export function exitCodeOf(err: unknown): 1 | 2 {
  const code = (err as { code?: unknown } | null)?.code;
  const kind = typeof code === 'string' && Object.hasOwn(ERROR_CODES, code) ? ERROR_CODES[code as ErrorCode] : undefined;
  return kind ? ERROR_KINDS[kind] : 1;
}

/** The base of every mlx-train error; abstract, so each throw names its kind (and `instanceof` works by kind). */
export abstract class MlxTrainError extends Error {
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A bad invocation detected after parsing (conflicting flags, a missing file argument…): exit 2. */
export class UsageError extends MlxTrainError {
  static readonly kind = 'usage';
  declare readonly code: CodeOf<'usage'>;
  constructor(message: string) {
    super(message, 'USAGE_ERROR');
  }
}

/** A bad training config: the message names the key path, the value and where it came from. */
export class ConfigError extends MlxTrainError {
  static readonly kind = 'config';
  declare readonly code: CodeOf<'config'>;
  constructor(message: string, code: CodeOf<'config'> = 'CONFIG_ERROR', options?: ErrorOptions) {
    super(message, code, options);
  }
}

export interface DataErrorLocation {
  file?: string;
  line?: number;
  column?: number | string;
  key?: string;
}

/** The error raised for unusable data: the message names the file, line, column and option at fault. */
export class DataError extends MlxTrainError {
  static readonly kind = 'data';
  declare readonly code: CodeOf<'data'>;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number | string;
  readonly key?: string;
  constructor(message: string, where: DataErrorLocation = {}, options?: ErrorOptions) {
    super(`${formatDataLocation(where)}${message}`, 'DATA_ERROR', options);
    Object.assign(this, where);
  }
}

/** `file, line 3, column 'age', option 'template': ` — the prefix DataError puts before its message. */
export function formatDataLocation(where: DataErrorLocation): string {
  const place = [
    where.file,
    where.line !== undefined ? `line ${where.line}` : undefined,
    where.column !== undefined ? (typeof where.column === 'number' ? `column ${where.column}` : `column '${where.column}'`) : undefined,
    where.key !== undefined ? `option '${where.key}'` : undefined,
  ].filter(Boolean);
  return place.length ? `${place.join(', ')}: ` : '';
}

/** The error raised for a tokenizer file or option that cannot be used; it names the file and the JSON key. */
export class TokenizerError extends MlxTrainError {
  static readonly kind = 'tokenizer';
  declare readonly code: CodeOf<'tokenizer'>;
  readonly file?: string;
  readonly key?: string;
  constructor(message: string, where: { file?: string; key?: string } = {}, options?: ErrorOptions) {
    const prefix = where.file ? `${where.file}${where.key ? ` (key '${where.key}')` : ''}: ` : where.key ? `key '${where.key}': ` : '';
    super(`${prefix}${message}`, 'TOKENIZER_ERROR', options);
    this.file = where.file;
    this.key = where.key;
  }
}

/**
 * A checkpoint, adapter folder, weight file or model folder we cannot read or write. `where` as an object
 * (model folders) puts the file first, `file: message`; as a string (trainer checkpoints, adapters) the
 * file follows, `message (file)`.
 */
export class CheckpointError extends MlxTrainError {
  static readonly kind = 'checkpoint';
  declare readonly code: CodeOf<'checkpoint'>;
  readonly file?: string;
  readonly key?: string;
  constructor(message: string, where: { file?: string; key?: string } | string = {}, code: CodeOf<'checkpoint'> = 'CHECKPOINT_ERROR', options?: ErrorOptions) {
    const file = typeof where === 'string' ? where : where.file;
    const text = typeof where === 'string' ? `${message} (${where})` : where.file ? `${where.file}: ${message}` : message;
    super(text, code, options);
    this.file = file;
    this.key = typeof where === 'string' ? undefined : where.key;
  }
}

/** Training that cannot go on (a loss that is NaN or infinite). */
export class TrainingError extends MlxTrainError {
  static readonly kind = 'training';
  declare readonly code: CodeOf<'training'>;
  constructor(message: string, code: CodeOf<'training'> = 'NON_FINITE_LOSS') {
    super(message, code);
  }
}

/** MLflow's `databricks_pb2.ErrorCode` names the stores raise (and the train-start check). */
export type StoreErrorCode = CodeOf<'store'>;

/** The tracking store's one error class. `code` carries MLflow's error code so both backends agree. */
export class StoreError extends MlxTrainError {
  static readonly kind = 'store';
  declare readonly code: StoreErrorCode;
  constructor(message: string, code: StoreErrorCode, options?: ErrorOptions) {
    super(message, code, options);
  }
}

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
 * A failure talking to an MLflow tracking server: a StoreError (same kind) with the HTTP details, so
 * callers branch on the same `code`: MLflow's `error_code` exactly as the server sent it (RESOURCE_DOES_NOT_EXIST,
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

/** A migration source that cannot be read, or a run or artifact that clashes with the target's. */
export class MigrateError extends MlxTrainError {
  static readonly kind = 'migrate';
  declare readonly code: CodeOf<'migrate'>;
  constructor(message: string, code: CodeOf<'migrate'>) {
    super(message, code);
  }
}

/** An error raised inside MLX (invalid argument, out of memory, …), translated by the addon. */
export class MlxError extends MlxTrainError {
  static readonly kind = 'mlx';
  declare readonly code: CodeOf<'mlx'>;
  constructor(message: string, code: CodeOf<'mlx'> = 'MLX_ERROR') {
    super(message, code);
  }
}

export class ShapeError extends MlxTrainError {
  static readonly kind = 'shape';
  declare readonly code: CodeOf<'shape'>;
  constructor(message: string) {
    super(message, 'SHAPE_ERROR');
  }
}

export class DtypeError extends MlxTrainError {
  static readonly kind = 'dtype';
  declare readonly code: CodeOf<'dtype'>;
  constructor(message: string) {
    super(message, 'DTYPE_ERROR');
  }
}

/** The native addon could not be loaded; the message says what to do. */
export class NativeLoadError extends MlxTrainError {
  static readonly kind = 'native';
  declare readonly code: CodeOf<'native'>;
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'NATIVE_LOAD_ERROR', options);
  }
}

export class DistributedError extends MlxTrainError {
  static readonly kind = 'distributed';
  declare readonly code: CodeOf<'distributed'>;
  constructor(message: string) {
    super(message, 'DISTRIBUTED_ERROR');
  }
}

/** A dashboard (`mlx-train ui`) failure; `status` is the HTTP status a refused request is answered with. */
export class UiError extends MlxTrainError {
  static readonly kind = 'ui';
  declare readonly code: CodeOf<'ui'>;
  readonly status: number;
  constructor(message: string, status: number, code: CodeOf<'ui'> = 'UI_BAD_REQUEST') {
    super(message, code);
    this.status = status;
  }
}

/** The HTTP status `serve` answers each refusal with (the port error never reaches a client). */
const SERVE_STATUS: Record<CodeOf<'serve'>, number> = { SERVE_BAD_REQUEST: 400, SERVE_UNSUPPORTED_MEDIA_TYPE: 415, SERVE_BODY_TOO_LARGE: 413, SERVE_PORT_IN_USE: 500 };

/**
 * A `serve` failure. A refused request is answered with `status` and, in the JSON body, `mlflowCode`: the
 * `error_code` MLflow's scoring server gives for the same mistake.
 */
export class ServeError extends MlxTrainError {
  static readonly kind = 'serve';
  declare readonly code: CodeOf<'serve'>;
  readonly mlflowCode: string;
  constructor(message: string, code: CodeOf<'serve'> = 'SERVE_BAD_REQUEST', mlflowCode = 'BAD_REQUEST') {
    super(message, code);
    this.mlflowCode = mlflowCode;
  }

  get status(): number {
    return SERVE_STATUS[this.code];
  }
}

/** kind → its class (the test walks the code table through this). */
export const ERROR_CLASSES = {
  usage: UsageError,
  config: ConfigError,
  data: DataError,
  tokenizer: TokenizerError,
  checkpoint: CheckpointError,
  training: TrainingError,
  store: StoreError,
  migrate: MigrateError,
  mlx: MlxError,
  shape: ShapeError,
  dtype: DtypeError,
  native: NativeLoadError,
  distributed: DistributedError,
  ui: UiError,
  serve: ServeError,
} as const satisfies { [K in ErrorKind]: { readonly kind: K } };

/** `expected <what> for <name> but received <value> (<type>)` — the one wording for bad arguments. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}' (string)`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name ?? 'object';
    return ctor === 'Array' ? `an array of length ${(value as unknown[]).length}` : `an instance of ${ctor}`;
  }
  return `${String(value)} (${typeof value})`;
}

export function invalidArg(what: string, name: string, value: unknown): TypeError {
  const err = new TypeError(`expected ${what} for ${name} but received ${describeValue(value)}`);
  (err as TypeError & { code: string }).code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/** An index past the end of an axis (`code` ERR_OUT_OF_RANGE, like the addon's range errors): eager and compiled calls throw the same. */
export function outOfRange(message: string): RangeError {
  const err = new RangeError(message);
  (err as RangeError & { code: string }).code = 'ERR_OUT_OF_RANGE';
  return err;
}

/**
 * The same error (same class, code and fields) with a new message and the original as its `cause`: for a
 * caller that adds context (a file name, the step) without changing what kind of error it is.
 */
export function restate<E extends MlxTrainError>(err: E, message: string): E {
  const out = new Error(message, { cause: err });
  Object.setPrototypeOf(out, Object.getPrototypeOf(err));
  const { message: _message, stack: _stack, cause: _cause, ...fields } = err as E & { cause?: unknown };
  return Object.assign(out, fields) as E;
}

