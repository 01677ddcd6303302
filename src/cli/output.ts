/** Output conventions of the CLI: results on stdout, logs and errors on stderr, exit codes 0/1/2. */
import { exitCodeOf, MlxTrainError } from '../errors.js';

export { UsageError } from '../errors.js';

export function reportError(err: unknown, verbose: boolean): number {
  const code = (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`error[${typeof code === 'string' ? code : 'ERROR'}]: ${message}\n`);
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  else if (!(err instanceof MlxTrainError)) process.stderr.write('(run with --verbose for the stack trace)\n');
  return exitCodeOf(err);
}

export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

/** Prints a value as JSON on stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
