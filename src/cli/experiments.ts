/** `mlx-train experiments`: list the experiments of the tracking store. */
import type { ViewType } from '../tracking/index.js';
import { printJson } from './output.js';
import { formatTime, openExistingStore } from './store.js';
import { printTable } from './table.js';

export async function run(opts: Record<string, unknown>): Promise<void> {
  const store = await openExistingStore(opts);
  try {
    const viewType: ViewType = opts.all ? 'ALL' : 'ACTIVE_ONLY';
    const { experiments } = await store.searchExperiments({ viewType, maxResults: 1000 });
    if (opts.json) return printJson(experiments);
    printTable(
      ['id', 'name', 'stage', 'created', 'artifact location'],
      experiments.map((e) => [e.experimentId, e.name, e.lifecycleStage, formatTime(e.creationTime), e.artifactLocation]),
    );
  } finally {
    await store.close();
  }
}
