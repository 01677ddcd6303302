// Runs the scripts in test/tracking/py with the pinned MLflow from the test venv and returns the JSON
// they print after the @@JSON@@ marker. NaN/±Infinity travel as strings and are decoded here.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const pyDir = join(dirname(fileURLToPath(import.meta.url)), 'py');

export function testPython(): string {
  return process.env.MLX_TRAIN_TEST_PYTHON ?? resolve('.venv/bin/python');
}

/** Environment for MLflow child processes: no telemetry calls, no progress bars, no inherited tracking URI. */
export function mlflowEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MLFLOW_TRACKING_URI: '',
    MLFLOW_DISABLE_TELEMETRY: 'true',
    DO_NOT_TRACK: 'true',
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR: 'false',
    PYTHONUNBUFFERED: '1',
  };
}

const SPECIAL: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/** Marks every `metrics: {...}` map so its NaN/Infinity strings are decoded. */
const metricMaps = new WeakSet<object>();
function markMetricMaps(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'metrics' && v && typeof v === 'object' && !Array.isArray(v)) metricMaps.add(v);
    markMetricMaps(v);
  }
}

export async function runMlflowScript<T>(script: string, args: string[], timeoutMs = 240_000): Promise<T> {
  const stdout = await new Promise<string>((done, fail) => {
    execFile(
      testPython(),
      [join(pyDir, script), ...args],
      { env: mlflowEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, out, errText) => (err ? fail(new Error(`${script} failed: ${err.message}\n${errText.slice(-4000)}`)) : done(out)),
    );
  });
  const line = stdout.split('\n').find((l) => l.startsWith('@@JSON@@'));
  if (!line) throw new Error(`${script} printed no @@JSON@@ line:\n${stdout.slice(-2000)}`);
  const raw = JSON.parse(line.slice(8));
  markMetricMaps(raw);
  return reviveSpecial(raw) as T;
}

function reviveSpecial(node: unknown, inMetricMap = false, key = ''): unknown {
  if (typeof node === 'string' && node in SPECIAL && (inMetricMap || key === 'value')) return SPECIAL[node];
  if (Array.isArray(node)) return node.map((v) => reviveSpecial(v));
  if (node && typeof node === 'object') {
    const isMap = metricMaps.has(node);
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, reviveSpecial(v, isMap, k)]));
  }
  return node;
}
