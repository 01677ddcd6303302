// Run artifacts through an MLflow server. Servers started with artifact proxying (the default since
// MLflow 2.0) give runs `mlflow-artifacts:/<exp>/<run>/artifacts` roots, reached via the
// /api/2.0/mlflow-artifacts endpoints; a root that is a local path (a server sharing this machine's
// disk) is copied directly, as MLflow's Python client does. Other schemes (s3://, gs://, …) need that
// cloud's SDK and are refused with a clear error.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StoreError } from '../errors.js';
import type { FileInfo } from '../types.js';
import { toNumber } from './entities.js';
import type { RestClient } from './http.js';

const PROXY_ROUTE = '/api/2.0/mlflow-artifacts/artifacts';

type Root = { kind: 'proxy'; path: string } | { kind: 'local'; dir: string };

/** Decides how to reach a run's artifact root URI. */
export function parseArtifactRoot(uri: string): Root {
  if (uri.startsWith('mlflow-artifacts:')) {
    // mlflow-artifacts:/1/<run>/artifacts or mlflow-artifacts://host:port/1/<run>/artifacts
    const rest = uri.slice('mlflow-artifacts:'.length).replace(/^\/\/[^/]*/, '');
    return { kind: 'proxy', path: rest.replace(/^\/+/, '') };
  }
  if (/^https?:\/\//.test(uri)) {
    const at = uri.indexOf(`${PROXY_ROUTE}/`);
    if (at >= 0) return { kind: 'proxy', path: uri.slice(at + PROXY_ROUTE.length + 1) };
  }
  if (uri.startsWith('file:')) return { kind: 'local', dir: fileURLToPath(uri) };
  if (uri.startsWith('/')) return { kind: 'local', dir: uri };
  throw new StoreError(
    `artifact root '${uri}' uses a scheme mlx-train cannot write to; start the server with artifact ` +
      'proxying (mlflow server --artifacts-destination …) so runs get mlflow-artifacts:/ roots',
    'INVALID_PARAMETER_VALUE',
  );
}

/** Joins `/`-separated artifact path parts, refusing `..` so nothing escapes the run's root. */
export function artifactJoin(...parts: (string | undefined)[]): string {
  const joined = parts
    .filter((p): p is string => p !== undefined && p !== '')
    .join('/')
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (joined.includes('..')) {
    throw new StoreError(`invalid artifact path '${parts.filter(Boolean).join('/')}': '..' is not allowed`, 'INVALID_PARAMETER_VALUE');
  }
  return joined.join('/');
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function listLocalFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listLocalFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function requireFile(localPath: string): void {
  let isFile = false;
  try {
    isFile = statSync(localPath).isFile();
  } catch {
    throw new StoreError(`cannot log artifact: no file at '${localPath}'`, 'INVALID_PARAMETER_VALUE');
  }
  if (!isFile) throw new StoreError(`cannot log artifact: '${localPath}' is not a file (use logArtifacts for a directory)`, 'INVALID_PARAMETER_VALUE');
}

function requireDir(localDir: string): void {
  let isDir = false;
  try {
    isDir = statSync(localDir).isDirectory();
  } catch {
    throw new StoreError(`cannot log artifacts: no directory at '${localDir}'`, 'INVALID_PARAMETER_VALUE');
  }
  if (!isDir) throw new StoreError(`cannot log artifacts: '${localDir}' is not a directory`, 'INVALID_PARAMETER_VALUE');
}

export class ArtifactClient {
  constructor(private readonly http: RestClient) {}

  async logArtifact(rootUri: string, localPath: string, artifactPath?: string): Promise<void> {
    requireFile(localPath);
    const name = localPath.split(sep).pop() as string;
    await this.upload(parseArtifactRoot(rootUri), localPath, artifactJoin(artifactPath, name));
  }

  async logArtifacts(rootUri: string, localDir: string, artifactPath?: string): Promise<void> {
    requireDir(localDir);
    const root = parseArtifactRoot(rootUri);
    for (const file of listLocalFiles(localDir)) {
      const rel = relative(localDir, file).split(sep).join('/');
      await this.upload(root, file, artifactJoin(artifactPath, rel));
    }
  }

  async listArtifacts(rootUri: string, path?: string): Promise<FileInfo[]> {
    const root = parseArtifactRoot(rootUri);
    const sub = artifactJoin(path);
    if (root.kind === 'local') {
      const dir = join(root.dir, ...sub.split('/').filter(Boolean));
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return [];
      }
      return entries
        .map((e) => {
          const rel = artifactJoin(sub, e.name);
          return e.isDirectory() ? { path: rel, isDir: true } : { path: rel, isDir: false, fileSize: statSync(join(dir, e.name)).size };
        })
        .sort((a, b) => a.path.localeCompare(b.path));
    }
    const out = await this.http.json<{ files?: { path?: string; is_dir?: boolean; file_size?: unknown }[] }>({
      method: 'GET',
      path: PROXY_ROUTE,
      query: { path: artifactJoin(root.path, sub) },
    });
    // The proxy lists names relative to the listed directory.
    return (out.files ?? [])
      .map((f) => {
        const rel = artifactJoin(sub, f.path ?? '');
        return f.is_dir ? { path: rel, isDir: true } : { path: rel, isDir: false, fileSize: toNumber(f.file_size) };
      })
      .sort((a, b) => a.path.localeCompare(b.path));
  }

  async downloadArtifacts(rootUri: string, path: string, dstPath?: string): Promise<string> {
    const root = parseArtifactRoot(rootUri);
    const rel = artifactJoin(path);
    const dst = resolve(dstPath ?? mkdtempSync(join(tmpdir(), 'mlxt-artifacts-')));
    const target = join(dst, ...rel.split('/').filter(Boolean));
    if (root.kind === 'local') {
      const source = join(root.dir, ...rel.split('/').filter(Boolean));
      try {
        statSync(source);
      } catch {
        throw new StoreError(`no artifact '${rel}' in ${rootUri}`, 'RESOURCE_DOES_NOT_EXIST');
      }
      mkdirSync(dirname(target), { recursive: true });
      cpSync(source, target, { recursive: true });
      return target;
    }
    // A directory lists as non-empty (or the path is the root); a file does not list at all.
    const children = await this.listArtifacts(rootUri, rel);
    const isDir = rel === '' || children.length > 0;
    if (isDir) {
      mkdirSync(target, { recursive: true });
      for (const child of children) await this.downloadArtifacts(rootUri, child.path, dst);
      return target;
    }
    const res = await this.http.send({ method: 'GET', path: `${PROXY_ROUTE}/${encodePath(artifactJoin(root.path, rel))}` });
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, Buffer.from(await res.arrayBuffer()));
    return target;
  }

  private async upload(root: Root, localPath: string, artifactPath: string): Promise<void> {
    if (root.kind === 'local') {
      const target = join(root.dir, ...artifactPath.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      cpSync(localPath, target);
      return;
    }
    // Whole-file body: retries must be able to resend it, which a one-shot stream cannot.
    const body = await readFile(localPath);
    await this.http.json({
      method: 'PUT',
      path: `${PROXY_ROUTE}/${encodePath(artifactJoin(root.path, artifactPath))}`,
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
    });
  }
}
