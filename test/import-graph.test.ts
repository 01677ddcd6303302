/**
 * No import circles in src/ and no import that goes up the layers
 * (errors → native → core → nn/optim/tokenizers → models/data → trainer/tracking/config/distributed → ui → cli).
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, also run on its own (node scripts/import-graph.mjs)
import { circles, importGraph, layerOf, upwardImports } from '../scripts/import-graph.mjs';

type Graph = Map<string, string[]>;
const graph = importGraph() as Graph;
const withTypes = importGraph({ types: true }) as Graph;

describe('the import graph of src/', () => {
  it('sees the whole tree', () => {
    expect(graph.size).toBeGreaterThan(150);
    expect(graph.get('core/array.ts')).toContain('core/ops.ts');
    expect(graph.get('index.ts')).toContain('trainer/index.ts');
  });

  it('has no circle of run-time imports', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('has no circle in src/native, even counting type-only imports', () => {
    const native = (circles(withTypes) as string[][]).filter((c) => c.some((f) => f.startsWith('native/')));
    expect(native).toEqual([]);
  });

  it('has no import, type-only ones included, that goes up the layers', () => {
    expect(upwardImports(withTypes)).toEqual([]);
  });

  it('finds a circle and an upward import when there is one (the checker can fail)', () => {
    const bad: Graph = new Map([
      ['core/a.ts', ['core/b.ts']],
      ['core/b.ts', ['core/a.ts', 'cli/main.ts']],
      ['cli/main.ts', []],
    ]);
    expect(circles(bad)).toEqual([['core/a.ts', 'core/b.ts']]);
    expect(upwardImports(bad)).toHaveLength(1);
    expect(layerOf('native/load.ts')).toBeLessThan(layerOf('core/array.ts'));
  });
});
