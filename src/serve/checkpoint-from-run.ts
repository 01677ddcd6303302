/**
 * `serve --checkpoint <run id>`: the best checkpoint a tracked run logged (artifact
 * `checkpoints/checkpoint-*.safetensors`, written by the tracking callback at the end of training),
 * copied out of the store into a temporary folder.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, UsageError } from '../errors.js';
import { StoreError, type TrackingClient } from '../tracking/index.js';

const RUN_ID = /^[0-9a-f]{32}$/;

/** The run id in `value` (a bare MLflow run id or `runs:/<id>`) when it is not an existing file, else null. */
export function runIdOf(value: string): string | null {
  if (existsSync(value)) return null;
  const id = value.startsWith('runs:/') ? value.slice('runs:/'.length).replace(/\/+$/, '') : value;
  return RUN_ID.test(id) ? id : null;
}

/** The newest step among the run's checkpoint artifacts: the best of the run's last training session. */
function pickCheckpoint(paths: string[]): string | undefined {
  const step = (p: string) => Number(/(\d+)\.safetensors$/.exec(p)?.[1] ?? -1);
  return [...paths].sort((a, b) => step(b) - step(a))[0];
}

export interface DownloadedCheckpoint {
  path: string;
  /** The artifact path inside the run. */
  artifact: string;
  /** Removes the temporary copy. */
  cleanup(): void;
}

export async function downloadRunCheckpoint(store: TrackingClient, runId: string): Promise<DownloadedCheckpoint> {
  try {
    await store.getRun(runId);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'RESOURCE_DOES_NOT_EXIST') {
      throw new UsageError(`--checkpoint: no run ${runId} in the tracking store ${store.trackingUri} (list runs with: mlx-train runs)`);
    }
    throw err;
  }
  const listed = await store.listArtifacts(runId, 'checkpoints').catch(() => []);
  const artifact = pickCheckpoint(listed.filter((f) => !f.isDir && f.path.endsWith('.safetensors')).map((f) => f.path));
  if (!artifact) {
    throw new CheckpointError(`run ${runId} has no checkpoint artifact (checkpoints/*.safetensors): it logs one when training ends with tracking on; pass a checkpoint file instead`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mlx-train-serve-'));
  try {
    const path = await store.downloadArtifacts(runId, artifact, dir);
    return { path, artifact, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
