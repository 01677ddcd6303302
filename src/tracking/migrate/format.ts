/** The human-readable migration report (the CLI prints this; `--json` prints the report object instead). */
import type { MigrateReport, SourceCounts, SourceReport } from './types.js';

const COUNT_LABELS: [keyof SourceCounts, string][] = [
  ['experiments', 'experiments'],
  ['runs', 'runs'],
  ['params', 'params'],
  ['tags', 'tags'],
  ['metricRows', 'metric rows'],
  ['datasets', 'datasets'],
  ['inputs', 'inputs'],
  ['registeredModels', 'registered models'],
  ['modelVersions', 'model versions'],
  ['artifactFiles', 'artifact files'],
];

function counts(c: SourceCounts): string {
  return COUNT_LABELS.filter(([k]) => c[k] > 0)
    .map(([k, label]) => `${c[k]} ${label}`)
    .join(', ') || 'nothing';
}

function sourceBlock(r: SourceReport, dryRun: boolean): string[] {
  const head = `${r.status.toUpperCase().padEnd(9)} ${r.source} (${r.kind}${r.schemaRevision ? `, schema ${r.schemaRevision}` : ''})`;
  if (r.status === 'failed') return [head, `  error: ${r.error}`];
  const lines = [head, `  found:   ${counts(r.found)}`, `  ${dryRun ? 'would add' : 'added'}: ${counts(r.added)}`];
  if (r.experimentsMatched.length) lines.push(`  merged into existing experiments: ${r.experimentsMatched.join(', ')}`);
  if (r.runsSkipped || r.runsCompleted) lines.push(`  runs already present: ${r.runsSkipped} skipped, ${r.runsCompleted} completed`);
  for (const c of r.conflicts) lines.push(`  conflict (target kept): ${c}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  for (const x of r.refused ?? []) lines.push(`  REFUSED: ${x}`);
  if (r.backup) lines.push(`  backup:  ${r.backup}`);
  if (r.verification) {
    lines.push(`  verify:  ${r.verification.ok ? 'ok' : 'MISMATCH'}`);
    for (const m of r.verification.mismatches) lines.push(`    ${m}`);
  }
  return lines;
}

export function formatMigrateReport(report: MigrateReport): string {
  const lines = [`${report.dryRun ? 'Dry run (nothing written): ' : ''}migrating into ${report.target}`];
  if (report.backupDir) lines.push(`backups: ${report.backupDir}${report.targetBackup ? ` (target: ${report.targetBackup})` : ''}`);
  lines.push('');
  for (const r of report.sources) lines.push(...sourceBlock(r, report.dryRun), '');
  const failed = report.sources.filter((r) => r.status === 'failed').length;
  const refused = report.sources.reduce((n, r) => n + (r.refused?.length ?? 0), 0);
  const mismatched = report.sources.filter((r) => r.verification && !r.verification.ok).length;
  lines.push(`target integrity: ${report.integrity}`);
  lines.push(
    `${report.sources.length - failed} of ${report.sources.length} sources ${report.dryRun ? 'can be migrated' : 'migrated or already present'}${failed ? `, ${failed} failed` : ''}` +
      `${refused ? `, ${refused} run(s) refused` : ''}${mismatched ? `, ${mismatched} verification MISMATCH` : ''}`,
  );
  return lines.join('\n');
}
