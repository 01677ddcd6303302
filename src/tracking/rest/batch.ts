// Splits a log-batch into requests within MLflow's server limits (mlflow/utils/validation.py):
// ≤ 1000 metrics, ≤ 100 params, ≤ 100 tags and ≤ 1000 entities per request. Params go first so a
// conflicting param is rejected before any metric of the batch is written.

export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_PER_BATCH = 100;
export const MAX_TAGS_PER_BATCH = 100;
export const MAX_ENTITIES_PER_BATCH = 1000;

export interface BatchChunk<M, P, T> {
  metrics: M[];
  params: P[];
  tags: T[];
}

export function splitBatch<M, P, T>(metrics: M[], params: P[], tags: T[]): BatchChunk<M, P, T>[] {
  const chunks: BatchChunk<M, P, T>[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < metrics.length || p < params.length || t < tags.length) {
    const chunkParams = params.slice(p, p + MAX_PARAMS_PER_BATCH);
    p += chunkParams.length;
    const chunkTags = tags.slice(t, t + Math.min(MAX_TAGS_PER_BATCH, MAX_ENTITIES_PER_BATCH - chunkParams.length));
    t += chunkTags.length;
    const room = Math.min(MAX_METRICS_PER_BATCH, MAX_ENTITIES_PER_BATCH - chunkParams.length - chunkTags.length);
    const chunkMetrics = metrics.slice(m, m + room);
    m += chunkMetrics.length;
    chunks.push({ metrics: chunkMetrics, params: chunkParams, tags: chunkTags });
  }
  return chunks;
}
