/** The error code table: every code has one kind, one class and the exit code of its kind; no error class lives elsewhere. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportError } from '../src/cli/output.js';
import {
  CheckpointError, ConfigError, DataError, ERROR_CLASSES, ERROR_CODES, ERROR_KINDS, type ErrorCode, type ErrorKind, exitCodeOf, MigrateError, MlxError, MlxTrainError,
  RestError, ServeError, StoreError, TrainingError, UiError, restate,
} from '../src/errors.js';

/** One way to build an error of each kind with a given code (a new kind fails here until it is added). */
const MAKERS: { [K in ErrorKind]: (code: ErrorCode) => MlxTrainError } = {
  usage: () => new ERROR_CLASSES.usage('m'),
  config: (code) => new ConfigError('m', code as 'CONFIG_ERROR'),
  data: () => new DataError('m'),
  tokenizer: () => new ERROR_CLASSES.tokenizer('m'),
  checkpoint: (code) => new CheckpointError('m', {}, code as 'CHECKPOINT_ERROR'),
  training: (code) => new TrainingError('m', code as 'NON_FINITE_LOSS'),
  store: (code) => new StoreError('m', code as 'INVALID_STATE'),
  migrate: (code) => new MigrateError('m', code as 'MIGRATE_SOURCE'),
  mlx: (code) => new MlxError('m', code as 'MLX_ERROR'),
  shape: () => new ERROR_CLASSES.shape('m'),
  dtype: () => new ERROR_CLASSES.dtype('m'),
  native: () => new ERROR_CLASSES.native('m'),
  distributed: () => new ERROR_CLASSES.distributed('m'),
  ui: (code) => new UiError('m', 400, code as 'UI_BAD_REQUEST'),
  serve: (code) => new ServeError('m', code as 'SERVE_BAD_REQUEST'),
};

function quietly<T>(fn: () => T): T {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return fn();
  } finally {
    process.stderr.write = write;
  }
}

describe('the error code table', () => {
  for (const [code, kind] of Object.entries(ERROR_CODES) as [ErrorCode, ErrorKind][]) {
    it(`${code}: a ${ERROR_CLASSES[kind].name} that exits ${ERROR_KINDS[kind]}`, () => {
      const err = MAKERS[kind](code);
      expect(err.code).toBe(code);
      expect(err).toBeInstanceOf(ERROR_CLASSES[kind]);
      expect(err).toBeInstanceOf(MlxTrainError);
      expect(err.name).toBe(ERROR_CLASSES[kind].name);
      // Exactly one kind's class matches, so `instanceof ConfigError` means "a config mistake".
      const matching = Object.values(ERROR_CLASSES).filter((cls) => err instanceof cls);
      expect(matching).toEqual([ERROR_CLASSES[kind]]);
      expect(exitCodeOf(err)).toBe(ERROR_KINDS[kind]);
      expect(quietly(() => reportError(err, false))).toBe(ERROR_KINDS[kind]);
    });
  }

  it('usage and config mistakes exit 2, everything else 1 (unknown codes and foreign errors included)', () => {
    const twos = Object.entries(ERROR_KINDS).filter(([, exit]) => exit === 2).map(([kind]) => kind);
    expect(twos.sort()).toEqual(['config', 'usage']);
    expect(exitCodeOf(new RestError('m', 'ENDPOINT_NOT_FOUND'))).toBe(1);
    expect(exitCodeOf(new Error('plain'))).toBe(1);
    expect(exitCodeOf(null)).toBe(1);
    expect(exitCodeOf({ code: 'toString' })).toBe(1);
  });

  it('each class names its own kind, and every kind has a class', () => {
    for (const [kind, cls] of Object.entries(ERROR_CLASSES)) expect(cls.kind).toBe(kind);
    expect(Object.keys(ERROR_CLASSES).sort()).toEqual(Object.keys(ERROR_KINDS).sort());
    expect(new Set(Object.values(ERROR_CODES))).toEqual(new Set(Object.keys(ERROR_KINDS)));
  });

  it('RestError is a store error that keeps the server code', () => {
    const err = new RestError('gone', 'RESOURCE_DOES_NOT_EXIST', { httpStatus: 404 });
    expect(err).toBeInstanceOf(StoreError);
    expect(err.httpStatus).toBe(404);
  });

  it('restate keeps class, code and fields, and chains the original as cause', () => {
    const err = new CheckpointError('bad tensor', { file: 'a.safetensors', key: 'w' }, 'WEIGHTS_MISMATCH');
    const again = restate(err, 'checkpoint x: bad tensor');
    expect(again).toBeInstanceOf(CheckpointError);
    expect(again.code).toBe('WEIGHTS_MISMATCH');
    expect(again.file).toBe('a.safetensors');
    expect(again.message).toBe('checkpoint x: bad tensor');
    expect(again.cause).toBe(err);
    expect(again.stack).toContain('checkpoint x: bad tensor');
  });

  it('CheckpointError puts an object location first and a string file last', () => {
    expect(new CheckpointError('m', { file: 'f' }).message).toBe('f: m');
    expect(new CheckpointError('m', 'f').message).toBe('m (f)');
    expect(new CheckpointError('m', 'f').file).toBe('f');
  });
});

describe('one home for errors', () => {
  const root = join(import.meta.dirname, '..', 'src');
  const files = (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

  it('no error class is declared outside src/errors.ts', () => {
    // The browser bundle (src/ui/web) cannot share Node code, so its fetch error stays its own.
    const allowed = new Set(['errors.ts', join('ui', 'web', 'api.ts')]);
    const offenders = files
      .filter((f) => !allowed.has(f))
      .flatMap((f) => [...readFileSync(join(root, f), 'utf8').matchAll(/class\s+(\w+)\s+extends\s+(\w*Error)\b/g)].map((m) => `${relative(root, join(root, f))}: ${m[1]} extends ${m[2]}`));
    expect(offenders).toEqual([]);
  });

  it('every code a module passes as a string literal to an error is in the table', () => {
    const used = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/new (?:\w+Error)\([^;]*?'([A-Z][A-Z_]+)'\)/g)) used.add(m[1]);
    }
    const known = new Set(Object.keys(ERROR_CODES));
    const unknown = [...used].filter((c) => !known.has(c) && !c.startsWith('ERR_'));
    expect(unknown).toEqual([]);
  });
});
