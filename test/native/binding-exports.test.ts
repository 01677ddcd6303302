import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { loadBinding } from '../../src/native/load.js';

const nativeDir = join(import.meta.dirname, '..', '..', 'src', 'native');

/** Member names of every `interface *Binding` in binding.ts and bindings/*.ts, with the file declaring each. */
function declaredNames(): Map<string, string> {
  const files = [join(nativeDir, 'binding.ts'), ...readdirSync(join(nativeDir, 'bindings')).filter((f) => f.endsWith('.ts')).map((f) => join(nativeDir, 'bindings', f))];
  const names = new Map<string, string>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    source.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || !node.name.text.endsWith('Binding')) return;
      for (const m of node.members) {
        if (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) names.set(m.name.text, file.slice(nativeDir.length + 1));
      }
    });
  }
  return names;
}

describe('native exports and their TS declarations', () => {
  const addon = loadBinding() as unknown as Record<string, unknown>;
  const exported = Object.keys(addon).sort();
  const declared = declaredNames();

  it('finds a reasonable number of both', () => {
    expect(exported.length).toBeGreaterThan(20);
    expect(declared.size).toBeGreaterThan(20);
  });

  it('declares every function the addon exports', () => {
    const undeclared = exported.filter((n) => !declared.has(n));
    expect(undeclared, `exported by the addon but missing from src/native/bindings/*.ts: ${undeclared.join(', ')}`).toEqual([]);
  });

  it('exports every function the declarations name', () => {
    const missing = [...declared.keys()].filter((n) => !(n in addon)).map((n) => `${n} (${declared.get(n)})`);
    expect(missing, `declared but not exported by the addon (stale build or a typo?): ${missing.join(', ')}`).toEqual([]);
  });

  it('exports only functions, apart from mlxVersion', () => {
    const notFunctions = exported.filter((n) => typeof addon[n] !== 'function' && n !== 'mlxVersion');
    expect(notFunctions).toEqual([]);
    expect(addon.mlxVersion).toMatch(/^\d+\.\d+\.\d+/);
  });
});
