/**
 * Copies a run's artifact files into the central artifact root without overwriting anything: a file that
 * is already there with the same bytes is skipped, one with different bytes is a clash. Every file and
 * folder created is recorded so a failed source can be undone.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { MigrateError } from '../../errors.js';


export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every regular file under `dir`, as paths relative to it with `/`. Symbolic links are not followed. */
export function listFilesRecursive(dir: string): string[] {
  return walkArtifacts(dir).files;
}

/**
 * The regular files under `dir` and the symbolic links met on the way (relative, `/`-separated). Links
 * are never followed or copied: one could point anywhere on the machine, so each is reported instead.
 */
export function walkArtifacts(dir: string): { files: string[]; links: string[] } {
  const out = { files: [] as string[], links: [] as string[] };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return out;
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      const rel = relative(dir, full).split(sep).join('/');
      if (entry.isSymbolicLink()) out.links.push(rel);
      else if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.files.push(rel);
    }
  };
  walk(dir);
  out.files.sort();
  out.links.sort();
  return out;
}

/** What a copy created, so it can be removed again. */
export class CreatedFiles {
  readonly files: string[] = [];
  readonly dirs: string[] = [];

  mkdirp(dir: string): void {
    const missing: string[] = [];
    for (let d = resolve(dir); !existsSync(d); d = dirname(d)) missing.push(d);
    if (missing.length) mkdirSync(dir, { recursive: true });
    this.dirs.push(...missing.reverse());
  }

  /** Deletes what was created, newest first; folders only when empty. */
  undo(): void {
    for (const f of this.files.reverse()) if (existsSync(f)) unlinkSync(f);
    for (const d of this.dirs.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        // Not empty: something else wrote there meanwhile; leave it.
      }
    }
    this.files.length = 0;
    this.dirs.length = 0;
  }
}

export interface CopyResult {
  copied: number;
  present: number;
  /** Symbolic links in the source folder, skipped (relative paths). */
  skippedLinks: string[];
}

/**
 * Plans (dryRun) or performs the copy of `fromDir` into `toDir`. Throws a MigrateError (MIGRATE_ARTIFACT_CLASH) naming the file
 * when the destination holds different bytes under the same path.
 */
export function copyArtifacts(fromDir: string, toDir: string, created: CreatedFiles, dryRun: boolean): CopyResult {
  const { files, links } = walkArtifacts(fromDir);
  const result: CopyResult = { copied: 0, present: 0, skippedLinks: links };
  if (resolve(fromDir) === resolve(toDir)) return { ...result, present: files.length };
  for (const rel of files) {
    const src = join(fromDir, ...rel.split('/'));
    const dst = join(toDir, ...rel.split('/'));
    if (existsSync(dst)) {
      if (statSync(dst).size !== statSync(src).size || sha256File(dst) !== sha256File(src)) {
        throw new MigrateError(`artifact '${rel}' already exists at ${dst} with different content`, 'MIGRATE_ARTIFACT_CLASH');
      }
      result.present++;
      continue;
    }
    result.copied++;
    if (dryRun) continue;
    created.mkdirp(dirname(dst));
    copyFileSync(src, dst);
    created.files.push(dst);
  }
  return result;
}
