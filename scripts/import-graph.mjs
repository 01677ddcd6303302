#!/usr/bin/env node
/**
 * The import graph of src/: every relative `import`/`export … from`/`import()` edge between .ts files,
 * its circles (strongly connected components) and the edges that go up the layers
 * (native → core → nn/optim → models/data → trainer/tracking → cli). Used by test/import-graph.test.ts;
 * run directly to print the report (exit 1 when there is a problem).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/**
 * Layer of each top-level folder (or file) of src/: an import may only point at the same or a lower layer.
 * errors.ts and the run-name list sit under everything; index.ts (the package entry) over everything.
 */
export const LAYERS = {
  'errors.ts': 0,
  native: 1,
  core: 2,
  nn: 3,
  optim: 3,
  tokenizers: 3,
  config: 5,
  models: 4,
  data: 4,
  trainer: 5,
  tracking: 5,
  distributed: 5,
  system: 5,
  ui: 6,
  serve: 6,
  sweep: 6,
  cli: 7,
  'index.ts': 8,
};

// group 1: `type` when the whole statement is type-only (erased by tsc: it cannot make a load-order circle).
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(type\s)?[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function listTs(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f))
    .filter((f) => !relative(SRC, f).startsWith(join('ui', 'web')));
}

/**
 * file → files it imports at run time (relative to src/). `import type` / `export type … from` lines are
 * left out unless `types` is set: the Array class's methods call the ops and the ops return Arrays, a
 * reference both ways that only types carry (as in MLX's own Python binding).
 */
export function importGraph({ types = false } = {}) {
  const graph = new Map();
  for (const file of listTs(SRC)) {
    const text = readFileSync(file, 'utf8');
    const deps = new Set();
    for (const m of text.matchAll(IMPORT)) {
      if (m[1] && !types) continue;
      const spec = m[2] ?? m[3] ?? m[4];
      if (!spec?.startsWith('.')) continue;
      const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (!target.startsWith(SRC) || relative(SRC, target).startsWith(join('ui', 'web'))) continue;
      deps.add(relative(SRC, target));
    }
    graph.set(relative(SRC, file), [...deps].sort());
  }
  return graph;
}

/** Strongly connected components of more than one file (or a file importing itself): the circles. */
export function circles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const out = [];
  const visit = (v) => {
    info.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
    if (info.get(v).low === info.get(v).index) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).onStack = false;
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!info.has(v)) visit(v);
  return out;
}

export function layerOf(file) {
  const top = file.split(/[\\/]/)[0];
  return LAYERS[top] ?? LAYERS[file];
}

/** Edges from a lower layer to a higher one, and files in a folder with no layer. */
export function upwardImports(graph) {
  const problems = [];
  for (const [from, deps] of graph) {
    const lf = layerOf(from);
    if (lf === undefined) {
      problems.push(`${from}: its folder has no layer in scripts/import-graph.mjs (LAYERS)`);
      continue;
    }
    for (const to of deps) {
      const lt = layerOf(to);
      if (lt !== undefined && lt > lf) problems.push(`${from} → ${to} goes up the layers (${from.split(/[\\/]/)[0]} ${lf} < ${to.split(/[\\/]/)[0]} ${lt})`);
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  const found = circles(graph);
  const up = upwardImports(graph);
  for (const c of found) console.log(`circle: ${c.join(' ↔ ')}`);
  for (const p of up) console.log(`layer: ${p}`);
  console.log(`${graph.size} files, ${found.length} circles, ${up.length} upward imports`);
  process.exitCode = found.length || up.length ? 1 : 0;
}
