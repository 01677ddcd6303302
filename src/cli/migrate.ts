/** `mlx-train migrate`: bring scattered MLflow stores into the central database (see docs/migration.md). */
import { formatMigrateReport, migrate } from '../tracking/migrate/index.js';
import { printJson } from './output.js';

export async function run(opts: Record<string, unknown>, args: string[]): Promise<void> {
  const json = Boolean(opts.json);
  const report = await migrate({
    sources: args.length ? args : undefined,
    into: opts.into as string | undefined,
    dryRun: Boolean(opts.dryRun),
    backupDir: opts.backupDir as string | undefined,
    artifactRoot: opts.artifactRoot as string | undefined,
    // Progress is a log: stderr, so --json output on stdout stays parseable.
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  if (json) printJson(report);
  else process.stdout.write(`${formatMigrateReport(report)}\n`);
  if (!report.ok) process.exitCode = 1;
}
