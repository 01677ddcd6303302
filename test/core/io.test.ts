import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { mx } from '../../src/index.js';
import { type EncodedArray, expectMatches, fromFixture, loadFixture } from '../helpers/fixtures.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = loadFixture<{ file: string; arrays: Record<string, EncodedArray>; metadata: Record<string, string> }>('io').cases[0];
const pythonFile = join(root, 'test', 'fixtures', fixture.file);
const python = process.env.MLX_TRAIN_TEST_PYTHON ?? join(root, '.venv', 'bin', 'python');
const dir = mkdtempSync(join(tmpdir(), 'mlxt-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const exact = { atol: 0, rtol: 0 };

/** Every array of the fixture, built in Node from the stored values. */
const nodeArrays = (): Record<string, mx.Array> => Object.fromEntries(Object.entries(fixture.arrays).map(([k, e]) => [k, fromFixture(e)]));

function expectSameFile(loaded: mx.SafetensorsFile, label: string): void {
  expect(Object.keys(loaded.arrays).sort(), `${label} names`).toEqual(Object.keys(fixture.arrays).sort());
  for (const [name, want] of Object.entries(fixture.arrays)) expectMatches(loaded.arrays[name], want, { ...exact, label: `${label} ${name}` });
  expect(loaded.metadata, `${label} metadata`).toEqual(fixture.metadata);
}

/** What Python MLX reads from a file (scripts/fixtures/io.py --dump). */
function readWithPython(path: string): { arrays: Record<string, EncodedArray>; metadata: Record<string, string> } {
  const r = spawnSync(python, [join(root, 'scripts', 'fixtures', 'io.py'), '--dump', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function expectPythonReads(path: string): void {
  const seen = readWithPython(path);
  expect(Object.keys(seen.arrays).sort()).toEqual(Object.keys(fixture.arrays).sort());
  for (const [name, want] of Object.entries(fixture.arrays)) expect(seen.arrays[name], `python sees ${name}`).toEqual(want);
  expect(seen.metadata).toEqual(fixture.metadata);
}

describe('safetensors interchange with Python MLX', () => {
  it('loads a file written by Python MLX with identical values, dtypes and metadata', () => {
    mx.tidy(() => expectSameFile(mx.loadSafetensors(pythonFile), 'sync load'));
  });

  it('loadSafetensorsAsync gives the same values, already evaluated', async () => {
    const loaded = await mx.loadSafetensorsAsync(pythonFile);
    try {
      expectSameFile(loaded, 'async load');
    } finally {
      mx.dispose(loaded.arrays);
    }
  });

  it('Python MLX reads a file written by Node (every dtype, non-contiguous arrays, metadata)', () => {
    const path = join(dir, 'node-written.safetensors');
    mx.tidy(() => mx.saveSafetensors(path, nodeArrays(), fixture.metadata));
    expectPythonReads(path);
  });

  it('Python MLX reads a file written by saveSafetensorsAsync', async () => {
    const path = join(dir, 'node-async.safetensors');
    const arrays = nodeArrays();
    try {
      await mx.saveSafetensorsAsync(path, arrays, fixture.metadata);
    } finally {
      mx.dispose(arrays);
    }
    expectPythonReads(path);
  });

  it('round-trips in Node, with a Map of arrays and the short names load/save', async () => {
    const path = join(dir, 'roundtrip.safetensors');
    mx.tidy(() => {
      mx.save(path, new Map(Object.entries(nodeArrays())), fixture.metadata);
      expectSameFile(mx.load(path), 'load after save');
    });
    const pathAsync = join(dir, 'roundtrip-async.safetensors');
    const arrays = nodeArrays();
    await mx.saveAsync(pathAsync, arrays, fixture.metadata);
    mx.dispose(arrays);
    const loaded = await mx.loadAsync(pathAsync);
    expectSameFile(loaded, 'loadAsync after saveAsync');
    mx.dispose(loaded.arrays);
  });

  it('MLX appends .safetensors to a path without the extension (as Python MLX does)', () => {
    const base = join(dir, 'no-extension');
    mx.tidy(() => mx.saveSafetensors(base, { a: mx.array([1, 2]) }));
    expect(existsSync(`${base}.safetensors`)).toBe(true);
    expect(existsSync(base)).toBe(false);
    const values = mx.tidy(() => mx.loadSafetensors(`${base}.safetensors`).arrays.a.toList());
    expect(values).toEqual([1, 2]);
  });
});

describe('safetensors bad files and bad calls give clear errors naming the file', () => {
  const good = readFileSync(pythonFile);
  const write = (name: string, bytes: Buffer | string): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const headerLen = Number(good.readBigUInt64LE(0));
  const files = {
    missing: join(dir, 'does-not-exist.safetensors'),
    truncated: write('truncated.safetensors', good.subarray(0, good.length - 40)),
    shortHeader: write('short-header.safetensors', good.subarray(0, 20)),
    notSafetensors: write('text.safetensors', 'just some text, certainly not a safetensors file\n'.repeat(3)),
    badJson: write('bad-json.safetensors', Buffer.concat([Buffer.from([24, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a": {"dtype": nope!!}}'), Buffer.alloc(16)])),
    badDtype: write('bad-dtype.safetensors', (() => {
      const header = good.subarray(8, 8 + headerLen).toString('utf8').replace('"F32"', '"Q99"');
      return Buffer.concat([good.subarray(0, 8), Buffer.from(header), good.subarray(8 + headerLen)]);
    })()),
    empty: write('empty.safetensors', Buffer.alloc(0)),
    directory: dir,
  };

  for (const [label, path] of Object.entries(files)) {
    it(`loadSafetensors: ${label}`, () => {
      let err: (Error & { code?: string; path?: string }) | undefined;
      try {
        mx.tidy(() => mx.eval(Object.values(mx.loadSafetensors(path).arrays)));
      } catch (e) {
        err = e as Error;
      }
      expect(err, 'an error').toBeInstanceOf(Error);
      expect(err!.message).toContain(`loadSafetensors: cannot read '${path}'`);
      expect(err!.path).toBe(path);
      expect(err!.code).toMatch(/^MLX_/);
    });
  }

  it('loadSafetensorsAsync rejects a truncated file and a missing one, naming the path', async () => {
    await expect(mx.loadSafetensorsAsync(files.truncated)).rejects.toThrow(`loadSafetensorsAsync: cannot read '${files.truncated}'`);
    await expect(mx.loadSafetensorsAsync(files.missing)).rejects.toThrow(/Failed to open file/);
  });

  it('saveSafetensors into a missing folder fails naming the path; async too', async () => {
    const path = join(dir, 'no', 'such', 'folder', 'x.safetensors');
    expect(() => mx.tidy(() => mx.saveSafetensors(path, { a: mx.ones([2]) }))).toThrow(`saveSafetensors: cannot write '${path}'`);
    const a = mx.ones([2]);
    await expect(mx.saveSafetensorsAsync(path, { a })).rejects.toThrow(`saveSafetensorsAsync: cannot write '${path}'`);
    a.dispose();
  });

  it('float64 is not a safetensors dtype in MLX: a clear error', () => {
    const path = join(dir, 'f64.safetensors');
    expect(() => mx.tidy(() => mx.saveSafetensors(path, { a: mx.array(Float64Array.from([1, 2])) }))).toThrow(/cannot write .*invalid dtype/);
  });

  const badCalls: [string, () => unknown, RegExp][] = [
    ['non-string path', () => mx.loadSafetensors(42 as unknown as string), /expected a non-empty file path string for loadSafetensors path/],
    ['empty path', () => mx.saveSafetensors('', {}), /non-empty file path/],
    ['array entry that is not an mx.array', () => mx.saveSafetensors(join(dir, 'x.safetensors'), { w: [1, 2] as unknown as mx.Array }), /saveSafetensors arrays\['w'\]/],
    ['metadata value that is not a string', () => mx.saveSafetensors(join(dir, 'x.safetensors'), {}, { step: 3 as unknown as string }), /saveSafetensors metadata\['step'\]/],
    ['disposed array', () => { const a = mx.ones([2]); a.dispose(); return mx.saveSafetensors(join(dir, 'x.safetensors'), { a }); }, /already disposed/],
  ];
  for (const [label, call, message] of badCalls) {
    it(label, () => {
      expect(call).toThrow(message);
    });
  }
});
