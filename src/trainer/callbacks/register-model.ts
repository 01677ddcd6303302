/**
 * tracking.registerModel: the best checkpoint, once logged as a run artifact, becomes a new version of
 * the registered model (created on first use). The version's source is that artifact's URI and it links
 * the run, so MLflow's registry (UI, MlflowClient) leads from the model to the run that trained it.
 */
import type { ModelVersion, TrackingClient } from '../../tracking/types.js';

export interface RegisterModelInput {
  name: string;
  runId: string;
  /** The checkpoint's path inside the run's artifacts, e.g. checkpoints/checkpoint-00000082.safetensors. */
  artifactPath: string;
  tags?: Record<string, string>;
}

export async function registerModelVersion(store: TrackingClient, input: RegisterModelInput): Promise<ModelVersion> {
  try {
    await store.getRegisteredModel(input.name);
  } catch (err) {
    if ((err as { code?: string }).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
    try {
      await store.createRegisteredModel(input.name);
    } catch (raced) {
      // Another run registered the name in between: that is fine.
      if ((raced as { code?: string }).code !== 'RESOURCE_ALREADY_EXISTS') throw raced;
    }
  }
  const run = await store.getRun(input.runId);
  const source = `${run.info.artifactUri.replace(/\/+$/, '')}/${input.artifactPath}`;
  return store.createModelVersion(input.name, source, { runId: input.runId, tags: input.tags });
}
