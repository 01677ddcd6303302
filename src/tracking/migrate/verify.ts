/**
 * After a source is merged, checks the target against the source row by row: every experiment by name,
 * every run with its params, tags, each metric row, each artifact file, every registered model and
 * version. Tag values the merge reported as conflicts (target kept its own) are not counted again.
 */
import type Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listFilesRecursive } from './copy-artifacts.js';
import type { Snapshot, VerificationReport } from './types.js';

const MAX_LISTED = 20;

export function verifySnapshot(db: Database.Database, snapshot: Snapshot, artifactTargets: Map<string, string>): VerificationReport {
  const mismatches: string[] = [];
  const q = {
    exp: db.prepare('SELECT 1 FROM experiments WHERE workspace = ? AND name = ?'),
    run: db.prepare('SELECT lifecycle_stage FROM runs WHERE run_uuid = ?'),
    param: db.prepare('SELECT value FROM params WHERE run_uuid = ? AND "key" = ?'),
    tag: db.prepare('SELECT 1 FROM tags WHERE run_uuid = ? AND "key" = ?'),
    metric: db.prepare('SELECT 1 FROM metrics WHERE run_uuid = ? AND "key" = ? AND timestamp = ? AND step = ? AND value = ? AND is_nan = ?'),
    latest: db.prepare('SELECT COUNT(*) AS n FROM latest_metrics WHERE run_uuid = ?'),
    model: db.prepare('SELECT 1 FROM registered_models WHERE workspace = ? AND name = ?'),
    versions: db.prepare('SELECT COUNT(*) AS n FROM model_versions WHERE workspace = ? AND name = ?'),
  };
  for (const exp of snapshot.experiments) if (!q.exp.get(exp.workspace, exp.name)) mismatches.push(`experiment '${exp.name}' missing`);
  for (const run of snapshot.runs) {
    const row = q.run.get(run.runId) as { lifecycle_stage: string } | undefined;
    if (!row) {
      mismatches.push(`run ${run.runId} missing`);
      continue;
    }
    const missingParams = run.params.filter(([k, v]) => (q.param.get(run.runId, k) as { value: string } | undefined)?.value !== v).length;
    if (missingParams) mismatches.push(`run ${run.runId}: ${missingParams} of ${run.params.length} params missing or different`);
    const missingTags = run.tags.filter(([k]) => !q.tag.get(run.runId, k)).length;
    if (missingTags) mismatches.push(`run ${run.runId}: ${missingTags} of ${run.tags.length} tags missing`);
    const missingMetrics = run.metrics.filter((m) => !q.metric.get(run.runId, m.key, m.timestamp, m.step, m.value, m.isNan)).length;
    if (missingMetrics) mismatches.push(`run ${run.runId}: ${missingMetrics} of ${run.metrics.length} metric rows missing`);
    const keys = new Set(run.metrics.map((m) => m.key)).size;
    const latest = (q.latest.get(run.runId) as { n: number }).n;
    if (latest < keys) mismatches.push(`run ${run.runId}: latest values for ${latest} metrics, source has ${keys}`);
    const dest = artifactTargets.get(run.runId);
    if (run.artifactDir && dest) {
      const missing = listFilesRecursive(run.artifactDir).filter((rel) => {
        const src = join(run.artifactDir as string, rel);
        const dst = join(dest, rel);
        return !existsSync(dst) || statSync(dst).size !== statSync(src).size;
      });
      if (missing.length) mismatches.push(`run ${run.runId}: artifacts missing in ${dest}: ${missing.slice(0, 5).join(', ')}`);
    }
  }
  for (const model of snapshot.registeredModels) {
    if (!q.model.get(model.workspace, model.name)) {
      mismatches.push(`registered model '${model.name}' missing`);
      continue;
    }
    const n = (q.versions.get(model.workspace, model.name) as { n: number }).n;
    if (n < model.versions.length) mismatches.push(`registered model '${model.name}': ${n} versions in the target, ${model.versions.length} in the source`);
  }
  const listed = mismatches.length > MAX_LISTED ? [...mismatches.slice(0, MAX_LISTED), `… and ${mismatches.length - MAX_LISTED} more`] : mismatches;
  return { ok: mismatches.length === 0, mismatches: listed };
}
