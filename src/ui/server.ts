/**
 * The `mlx-train ui` server: plain node:http, read-only (GET/HEAD), bound to 127.0.0.1 unless told
 * otherwise. It serves the browser app built into dist/ui/web and the JSON API in routes.ts. Every
 * response carries a CSP that allows only this origin, so nothing loads from elsewhere (works offline).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UiError } from '../errors.js';
import type { TrackingClient } from '../tracking/index.js';
import type { LiveOptions } from './live.js';
import { handleApi } from './routes.js';

export const DEFAULT_UI_HOST = '127.0.0.1';
export const DEFAULT_UI_PORT = 5000;

/** Same file from src/ui (tests) and dist/ui (the package): the assets are always the built ones. */
export const DEFAULT_ASSETS_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'dist', 'ui', 'web');

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export interface UiServerOptions {
  store: TrackingClient;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  assetsDir?: string;
  live?: LiveOptions;
}

export interface UiServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Built assets in memory: a few files, read once, so a request never touches the disk by URL. */
function loadAssets(dir: string): Map<string, { body: Buffer; type: string }> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new UiError(`the dashboard's built files are missing (${dir}/index.html); run npm run build`, 500, 'UI_ASSETS_MISSING');
  }
  const assets = new Map<string, { body: Buffer; type: string }>();
  const root = realpathSync(dir);
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${name.name}` : name.name;
      if (name.isDirectory()) walk(path);
      else if (name.isFile()) assets.set(`/${path}`, { body: readFileSync(join(root, path)), type: STATIC_TYPES[extname(name.name)] ?? 'application/octet-stream' });
    }
  };
  walk('');
  return assets;
}


export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const assets = loadAssets(options.assetsDir ?? DEFAULT_ASSETS_DIR);
  const ctx = { store: options.store, live: options.live };
  const server = createServer((req, res) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' });
      res.end('the dashboard is read-only\n');
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      void handleApi(ctx, res, url).then((handled) => {
        if (!handled) res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: `no API route ${url.pathname}`, code: 'UI_NOT_FOUND' }));
      });
      return;
    }
    const asset = assets.get(url.pathname === '/' ? '/index.html' : url.pathname);
    if (!asset) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const immutable = url.pathname.startsWith('/assets/');
    res.writeHead(200, { 'Content-Type': asset.type, 'Content-Length': asset.body.length, 'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  });
  const host = options.host ?? DEFAULT_UI_HOST;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE'
        ? new UiError(`port ${options.port} on ${host} is already in use; pick another with --port`, 500, 'UI_PORT_IN_USE')
        : err);
    });
    server.listen(options.port ?? DEFAULT_UI_PORT, host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `http://${shownHost}:${port}/`,
    close: () => new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    }),
  };
}
