/**
 * Live curves over server-sent events: while a run is RUNNING, the server polls the store and sends each
 * metric's new points (and the run's status), so the browser holds one connection instead of polling.
 * Histories come back ordered by timestamp, so new points are the tail past what was already sent.
 */
import type { ServerResponse } from 'node:http';
import type { TrackingClient } from '../tracking/index.js';
import { toSeries } from './queries.js';

export interface LiveOptions {
  /** How often the store is read; 500 ms keeps a logged point on screen well within 2 s. */
  intervalMs?: number;
}

export function streamRun(store: TrackingClient, runId: string, res: ServerResponse, options: LiveOptions = {}): void {
  const intervalMs = options.intervalMs ?? 500;
  const sent = new Map<string, number>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

  const tick = async () => {
    if (closed) return;
    try {
      const run = await store.getRun(runId);
      const points: Record<string, ReturnType<typeof toSeries>> = {};
      for (const key of Object.keys(run.data.metrics)) {
        const history = await store.getMetricHistory(runId, key);
        const already = sent.get(key) ?? 0;
        // A shorter history than what was sent means points were reordered: resend the whole series.
        const from = history.length < already ? 0 : already;
        if (history.length > from) points[key] = toSeries(history.slice(from));
        if (from === 0 && already > 0) send('reset', { key });
        sent.set(key, history.length);
      }
      if (Object.keys(points).length) send('points', points);
      send('status', { status: run.info.status, endTime: run.info.endTime });
      if (run.info.status !== 'RUNNING') {
        closed = true;
        res.end();
        return;
      }
    } catch (err) {
      send('failure', { message: err instanceof Error ? err.message : String(err) });
    }
    if (!closed) timer = setTimeout(tick, intervalMs);
  };
  res.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
  void tick();
}
