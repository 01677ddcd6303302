/** Error classes shared by every layer. Each carries a stable `code` the CLI prints as `error[CODE]`. */

export class MlxTrainError extends Error {
  readonly code: string;
  constructor(message: string, code = 'MLX_TRAIN_ERROR', options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An error raised inside MLX (invalid argument, out of memory, …), translated by the addon. */
export class MlxError extends MlxTrainError {
  constructor(message: string, code = 'MLX_ERROR') {
    super(message, code);
  }
}

export class ShapeError extends MlxTrainError {
  constructor(message: string) {
    super(message, 'SHAPE_ERROR');
  }
}

export class DtypeError extends MlxTrainError {
  constructor(message: string) {
    super(message, 'DTYPE_ERROR');
  }
}

export class NativeLoadError extends MlxTrainError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'NATIVE_LOAD_ERROR', options);
  }
}

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

/** A bad training config: the message names the key path, the value and where it came from. */
export class ConfigError extends MlxTrainError {
  constructor(message: string) {
    super(message, 'CONFIG_ERROR');
  }
}

/** A request the dashboard (`mlx-train ui`) refuses; `status` is the HTTP status it answers with. */
export class UiRequestError extends MlxTrainError {
  readonly status: number;
  constructor(message: string, status: number, code = 'UI_BAD_REQUEST') {
    super(message, code);
    this.status = status;
  }
}
