// Malformed-input corpus: configs, --set flags, CSVs, filters, tracking URIs and stores, each through the
// real CLI (a subprocess, as users run it). Every case must end with the exit code of the convention
// (2 = usage or config, 1 = runtime), a typed `error[CODE]` line naming the problem, no stack trace and
// no crash (signal, untyped error). The config cases also run in-process to prove no prototype is written.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/index.js';
import { TrackingStore } from '../../src/tracking/index.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'mlxt-corpus-'));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const storeUri = `sqlite:///${join(dir, 'store', 'mlflow.db')}`;

// A bomb of nested aliases: 9^6 ≈ 531k leaves from a few hundred bytes.
const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdef'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcde'[i]}`).join(',')}]`)].join('\n');

interface Case {
  name: string;
  args: () => string[];
  code: 1 | 2;
  message: RegExp;
}

const configCases: Case[] = [
  { name: 'YAML syntax error', args: () => ['config', '--validate', '-c', file('syntax.yaml', 'training:\n  epochs: [1,\n')], code: 2, message: /syntax\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'duplicate key', args: () => ['config', '--validate', '-c', file('dup.yaml', 'training:\n  epochs: 1\n  epochs: 2\n')], code: 2, message: /dup\.yaml:\d+:\d+: invalid YAML/ },
  { name: 'top level is a list', args: () => ['config', '--validate', '-c', file('list.yaml', '- 1\n- 2\n')], code: 2, message: /list\.yaml: the top level .* must be a mapping/ },
  { name: 'binary file', args: () => ['config', '--validate', '-c', file('binary.yaml', Buffer.from([0, 1, 2, 0xff, 0xfe, 10, 0x80]))], code: 2, message: /binary\.yaml/ },
  { name: 'unknown key', args: () => ['config', '--validate', '-c', file('typo.yaml', 'training:\n  epoch: 3\n')], code: 2, message: /training\.epoch: unknown key \(.*typo\.yaml:2:3\); did you mean 'epochs'/ },
  { name: 'wrong type', args: () => ['config', '--validate', '-c', file('type.yaml', 'training:\n  epochs: many\n')], code: 2, message: /training\.epochs: .*'many'/ },
  { name: 'alias bomb', args: () => ['config', '--validate', '-c', file('bomb.yaml', bomb)], code: 2, message: /bomb\.yaml: invalid YAML: .*alias/ },
  { name: '__proto__ key in a file', args: () => ['config', '--validate', '-c', file('proto.yaml', '__proto__:\n  polluted: 1\n')], code: 2, message: /__proto__: '__proto__' is not a config key \(.*proto\.yaml:1:1\)/ },
  { name: 'nested constructor key', args: () => ['config', '--validate', '-c', file('ctor.yaml', 'training:\n  constructor:\n    prototype: 1\n')], code: 2, message: /training\.constructor: 'constructor' is not a config key/ },
  { name: 'extends itself', args: () => ['config', '--validate', '-c', file('cycle.yaml', 'extends: cycle.yaml\n')], code: 2, message: /extends' cycle/ },
  { name: 'extends a missing file', args: () => ['config', '--validate', '-c', file('orphan.yaml', 'extends: nowhere.yaml\n')], code: 2, message: /nowhere\.yaml' is neither a preset/ },
  { name: 'unsupported tracking URI in a file', args: () => ['config', '--validate', '-c', file('uri.yaml', 'tracking:\n  trackingUri: ftp://host/db\n')], code: 2, message: /tracking\.trackingUri: unsupported tracking URI/ },
  { name: 'template with an unknown column', args: () => ['config', '--validate', '-c', file('tpl.yaml', 'data:\n  template: "{Nmae} is {Age}"\n')], code: 2, message: /TEMPLATE_ERROR.*unknown column 'Nmae'/ },
  { name: 'template never closed', args: () => ['config', '--validate', '--set', 'data.template=hello {Name'], code: 2, message: /'\{' is never closed/ },
  { name: '--set __proto__', args: () => ['config', '--validate', '--set', '__proto__.x=1'], code: 2, message: /__proto__\.x: '__proto__' is not a config key \(--set __proto__\.x=1\)/ },
  { name: '--set constructor', args: () => ['config', '--validate', '--set', 'constructor.prototype.x=1'], code: 2, message: /'constructor' is not a config key/ },
  { name: '--set prototype inside a section', args: () => ['config', '--validate', '--set', 'training.prototype=1'], code: 2, message: /training\.prototype: 'prototype' is not a config key/ },
  { name: '--set unquoted template', args: () => ['config', '--validate', '--set', 'data.template={Name}'], code: 2, message: /YAML read '\{Name\}' as a mapping; quote the value/ },
  { name: '--set without a key', args: () => ['config', '--validate', '--set', '=3'], code: 2, message: /expected key\.path=value/ },
  { name: '--set empty path segment', args: () => ['config', '--validate', '--set', 'training..epochs=3'], code: 2, message: /not a valid key path/ },
  { name: '--set infinite integer', args: () => ['config', '--validate', '--set', 'training.epochs=1e999'], code: 2, message: /training\.epochs/ },
  { name: 'unknown option', args: () => ['config', '--vaildate'], code: 2, message: /unknown option '--vaildate'[\s\S]*--validate[\s\S]*mlx-train config --help/ },
  { name: 'unknown option, nothing close', args: () => ['runs', '--zzzzzzzz'], code: 2, message: /the closest valid option is --[a-z-]+; all options: mlx-train runs --help/ },
];

const csvCases: Case[] = [
  { name: 'empty CSV', args: () => trainOn(file('empty.csv', '')), code: 1, message: /empty\.csv.*empty/ },
  { name: 'header only', args: () => trainOn(file('header.csv', 'a,Survived\n')), code: 1, message: /header\.csv: only 0 data row/ },
  { name: 'unterminated quote', args: () => trainOn(file('quote.csv', 'a,Survived\n"x,1\ny,0\n')), code: 1, message: /quote\.csv, line 2.*unterminated quote/ },
  { name: 'ragged row', args: () => trainOn(file('ragged.csv', 'a,b,Survived\nx,y,1\nx,0\n')), code: 1, message: /ragged\.csv, line 3.*expected 3 fields/ },
  { name: 'repeated header', args: () => trainOn(file('repeat.csv', 'a,a,Survived\nx,y,1\nz,w,0\n')), code: 1, message: /repeat\.csv, line 1.*repeats column name 'a'/ },
  { name: 'binary bytes', args: () => trainOn(file('nul.csv', Buffer.from('a,Survived\n\u0000\u0001,1\nx,0\n'))), code: 1, message: /nul\.csv, line 2.*NUL byte/ },
  { name: 'one class only', args: () => trainOn(file('oneclass.csv', 'a,Survived\nx,1\ny,1\nz,1\n')), code: 1, message: /'Survived' has 1 distinct value/ },
  { name: 'a folder as the CSV', args: () => trainOn(dir), code: 1, message: /cannot read the CSV file: EISDIR/ },
];

const filterCases: Case[] = [
  { name: 'bad comparator', args: () => ['runs', '--tracking-uri', storeUri, '-f', 'metrics.x >>> 3'], code: 2, message: /-f\/--filter.*Invalid filter 'metrics\.x >>> 3'/ },
  { name: 'SQL injection attempt', args: () => ['runs', '--tracking-uri', storeUri, '-f', "params.x = 'a' OR 1=1 --"], code: 2, message: /Invalid filter/ },
  { name: 'unclosed string', args: () => ['runs', '--tracking-uri', storeUri, '-f', "params.x = 'a"], code: 2, message: /Invalid filter/ },
  { name: 'unknown entity', args: () => ['runs', '--tracking-uri', storeUri, '-f', 'foo.x = 3'], code: 2, message: /invalid entity type 'foo'/ },
  { name: 'unknown attribute', args: () => ['runs', '--tracking-uri', storeUri, '-f', "attributes.bogus = 'x'"], code: 2, message: /Invalid/ },
  { name: 'bad order direction', args: () => ['runs', '--tracking-uri', storeUri, '-o', 'metrics.x SIDEWAYS'], code: 2, message: /expected ASC or DESC/ },
  { name: 'order by an unknown attribute', args: () => ['runs', '--tracking-uri', storeUri, '-o', 'bogus DESC'], code: 2, message: /invalid order_by attribute 'bogus'/ },
  { name: '10k-character filter', args: () => ['runs', '--tracking-uri', storeUri, '-f', `params.x = '${'a'.repeat(10_000)}' and (`], code: 2, message: /Invalid filter/ },
  { name: '-n 0', args: () => ['runs', '--tracking-uri', storeUri, '-n', '0'], code: 2, message: /--max: expected an integer from 1 to 50000 but received '0'/ },
  { name: '-n above the MLflow limit', args: () => ['runs', '--tracking-uri', storeUri, '-n', '50001'], code: 2, message: /--max: expected an integer from 1 to 50000/ },
  { name: 'run id that is a path', args: () => ['runs', 'show', '../../etc/passwd', '--tracking-uri', storeUri], code: 2, message: /RUN_ID: Invalid value/ },
  { name: 'ftp tracking URI', args: () => ['runs', '--tracking-uri', 'ftp://host/x'], code: 2, message: /--tracking-uri: unsupported tracking URI 'ftp:\/\/host\/x'/ },
  { name: 'bare path tracking URI', args: () => ['experiments', '--tracking-uri', 'mlruns'], code: 2, message: /unsupported tracking URI 'mlruns': use sqlite:\/\/\// },
  { name: 'store missing MLflow tables', args: () => ['runs', '--tracking-uri', `sqlite:///${join(dir, 'gutted.db')}`], code: 1, message: /STORE_SCHEMA_MISMATCH.*gutted\.db.*table 'latest_metrics' is missing; table 'params' lacks column 'value'/ },
  { name: 'doctor on a gutted store', args: () => ['doctor', '--tracking-uri', `sqlite:///${join(dir, 'gutted.db')}`], code: 1, message: /FAIL|table 'latest_metrics' is missing/ },
];

function trainOn(csv: string): string[] {
  return ['train', '--no-track', '--preset', 'quick', '--set', `data.trainPath=${csv}`, '--set', 'data.idColumn=null', '--output-dir', join(dir, 'out')];
}

beforeAll(async () => {
  const store = new TrackingStore(storeUri);
  await store.createRun(await store.createExperiment('corpus'));
  await store.close();
  // A head-revision store with a table dropped and a column removed.
  const gutted = join(dir, 'gutted.db');
  const g = new TrackingStore(`sqlite:///${gutted}`);
  await g.close();
  const db = new Database(gutted);
  db.exec('DROP TABLE latest_metrics; ALTER TABLE params DROP COLUMN value');
  db.close();
  mkdirSync(join(dir, 'out'), { recursive: true });
});

describe.each([
  ['configs and flags', configCases],
  ['CSVs', csvCases],
  ['filters, URIs and stores', filterCases],
])('malformed input: %s', (_group, cases) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = cli(c.args(), { cwd: dir, timeoutMs: 120_000 });
    const all = r.stdout + r.stderr;
    expect(r.code, all).toBe(c.code);
    expect(all).toMatch(c.message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stderr).not.toMatch(/error\[ERROR\]/); // no untyped error
    if (!/doctor/.test(c.name)) expect(r.stderr).toMatch(/^error(\[[A-Z_]+\])?: /m);
  }, 120_000);
});

describe('config keys never write a prototype (in process)', () => {
  const cases: [string, () => unknown][] = [
    ['--set __proto__.polluted', () => resolveConfig({ set: ['__proto__.polluted=1'], env: {} })],
    ['--set training.__proto__.polluted', () => resolveConfig({ set: ['training.__proto__.polluted=1'], env: {} })],
    ['--set constructor.prototype.polluted', () => resolveConfig({ set: ['constructor.prototype.polluted=1'], env: {} })],
    ['file __proto__', () => resolveConfig({ file: file('proto2.yaml', '__proto__:\n  polluted: 1\ntraining:\n  __proto__:\n    polluted: 1\n'), env: {} })],
    ['overrides with an own __proto__ key', () => resolveConfig({ overrides: JSON.parse('{"__proto__": {"polluted": 1}}') as Record<string, unknown>, env: {} })],
  ];
  it.each(cases)('%s is a ConfigError and Object.prototype is untouched', (_name, run) => {
    expect(run).toThrow(/is not a config key/);
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  });
});
