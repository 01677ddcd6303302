/** `mlx-train models [list|show NAME]`: the model registry of the tracking store. */
import { printJson, UsageError } from './output.js';
import { formatTime, openExistingStore } from './store.js';
import { printTable } from './table.js';

export async function run(opts: Record<string, unknown>, args: string[]): Promise<void> {
  const [action = 'list', name] = args;
  const store = await openExistingStore(opts);
  try {
    if (action === 'list') {
      const { registeredModels } = await store.searchRegisteredModels({ maxResults: 1000 });
      if (opts.json) return printJson(registeredModels);
      printTable(['name', 'latest version', 'aliases', 'updated'], registeredModels.map((m) => [
        m.name, m.latestVersions.map((v) => v.version).sort((a, b) => Number(b) - Number(a))[0] ?? '',
        Object.entries(m.aliases).map(([a, v]) => `${a}=v${v}`).join(', '), formatTime(m.lastUpdatedTimestamp),
      ]));
      return;
    }
    if (action === 'show') {
      if (!name) throw new UsageError('models show: expected a model NAME');
      const model = await store.getRegisteredModel(name);
      if (opts.json) return printJson(model);
      printTable(['version', 'run id', 'status', 'created', 'source'], model.latestVersions.map((v) => [
        v.version, v.runId ?? '', v.status, formatTime(v.creationTimestamp), v.source,
      ]));
      return;
    }
    throw new UsageError(`models: unknown action '${action}' (expected list or show)`);
  } finally {
    await store.close();
  }
}
