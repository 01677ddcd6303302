/** `mlx-train ui`: the live dashboard over the tracking store (src/ui), until Ctrl-C. */
import { startUiServer } from '../ui/server.js';
import { UsageError } from './output.js';
import { openExistingStore } from './store.js';

export async function run(opts: Record<string, unknown>): Promise<void> {
  const port = Number(opts.port ?? 5000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected an integer in 0..65535 but received '${opts.port}'`);
  const host = String(opts.host ?? '127.0.0.1');
  const store = await openExistingStore(opts);
  const ui = await startUiServer({ store, host, port }).catch(async (err) => {
    await store.close();
    throw err;
  });
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') {
    process.stderr.write(`warning: listening on ${host}: anyone who can reach this address can read every run and artifact\n`);
  }
  process.stdout.write(`mlx-train ui: ${ui.url} (store ${store.trackingUri}; Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await ui.close();
  await store.close();
}
