/**
 * The public API, name by name: every runtime export of the package entry, per namespace, is listed in
 * test/__snapshots__/api.txt, so growth shows in review. After an intended change, regenerate it with
 * `npx vitest run test/api-snapshot.test.ts -u` and commit the file (and update docs/api.md).
 */
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

const isNamespace = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === '[object Module]';

function listing(): string {
  const lines: string[] = [];
  const top = Object.keys(api).filter((k) => !isNamespace((api as Record<string, unknown>)[k]));
  lines.push(`(top level) ${top.length}: ${top.sort().join(' ')}`);
  for (const [name, ns] of Object.entries(api).sort(([a], [b]) => a.localeCompare(b))) {
    if (!isNamespace(ns)) continue;
    const names = Object.keys(ns).sort();
    lines.push(`${name} ${names.length}: ${names.join(' ')}`);
    for (const [sub, inner] of Object.entries(ns)) {
      if (isNamespace(inner)) lines.push(`${name}.${sub} ${Object.keys(inner).length}: ${Object.keys(inner).sort().join(' ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe('the public API', () => {
  it('matches the committed list of runtime names', async () => {
    await expect(listing()).toMatchFileSnapshot('./__snapshots__/api.txt');
  });

  it('keeps the trainer namespace to the Trainer, the callback contract and the built-in callbacks', () => {
    expect(Object.keys(api.trainer).length).toBeLessThanOrEqual(30);
    for (const internal of ['writeAtomically', 'renderPng', 'formatDuration', 'trainLoop', 'TrainStep', 'saveCheckpoint']) expect(api.trainer).not.toHaveProperty(internal);
  });

  it('keeps the data, distributed and config namespaces to their public face', () => {
    const internals: Record<'data' | 'distributed' | 'config', string[]> = {
      data: ['cacheKey', 'readTokenCache', 'writeTokenCache', 'encodeExamples', 'exampleLength', 'planBatches', 'paddedLength', 'toMxBatch', 'collate', 'prefetch', 'SeededRandom'],
      distributed: ['shellQuote', 'sshCommand', 'remoteScript', 'freePorts', 'withDeadline', 'defaultTimeoutMs', 'recvLike', 'checkRingEnvironment'],
      config: ['envName', 'leafPaths', 'flattenConfig', 'presetsDir'],
    };
    for (const [ns, names] of Object.entries(internals) as [keyof typeof internals, string[]][]) for (const name of names) expect(api[ns]).not.toHaveProperty(name);
    expect([Object.keys(api.data).length, Object.keys(api.distributed).length, Object.keys(api.config).length]).toEqual([15, 23, 13]);
  });

  it('exposes no raw addon and no argument-check helpers', () => {
    expect(api.mx).not.toHaveProperty('_native');
    for (const helper of ['describeValue', 'invalidArg', 'outOfRange', 'restate', 'formatDataLocation']) expect(api).not.toHaveProperty(helper);
  });
});
