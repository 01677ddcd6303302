/**
 * The dashboard's entry: a hash router over three views (an experiment's runs, one run, a comparison)
 * and the experiments list beside them. `document.body.dataset.ready` marks a finished render, which
 * the browser tests and the first-paint benchmark wait for.
 */
import { api, type Experiment } from './api';
import { renderCompare } from './compare-view';
import { clear, h } from './dom';
import { renderRun, stopLive } from './run-view';
import { renderRuns, type RunsQuery } from './runs-view';
import './style.css';

const view = document.getElementById('view')!;
const nav = document.getElementById('experiments')!;
let experiments: Experiment[] = [];

function runsHash(q: RunsQuery): string {
  const params = new URLSearchParams();
  if (q.filter) params.set('filter', q.filter);
  if (q.order) params.set('order', q.order);
  return `#/experiments/${q.experimentId}${params.size ? `?${params}` : ''}`;
}

function drawNav(current: string | null): void {
  clear(nav);
  nav.append(h('h2', {}, 'Experiments'), h('ul', {}, ...experiments.map((e) => h('li', { class: e.experimentId === current ? 'current' : undefined },
    h('a', { href: `#/experiments/${e.experimentId}`, 'data-experiment-id': e.experimentId }, e.name)))));
}

async function route(): Promise<void> {
  stopLive();
  document.body.dataset.ready = 'false';
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'runs' && parts[1]) {
      drawNav(null);
      await renderRun(view, parts[1]);
    } else if (parts[0] === 'compare' && parts[1]) {
      drawNav(null);
      await renderCompare(view, parts[1].split(','));
    } else {
      const params = new URLSearchParams(query);
      const experimentId = parts[0] === 'experiments' && parts[1] ? parts[1] : experiments[0]?.experimentId;
      drawNav(experimentId ?? null);
      if (!experimentId) {
        clear(view);
        view.append(h('p', {}, 'No experiments in this store yet: train a model (mlx-train train --preset quick).'));
      } else {
        const name = experiments.find((e) => e.experimentId === experimentId)?.name ?? experimentId;
        document.title = `${name} · mlx-train`;
        await renderRuns(view, { experimentId, filter: params.get('filter') ?? '', order: params.get('order') ?? '' }, (q) => { location.hash = runsHash(q); });
      }
    }
  } catch (err) {
    clear(view);
    view.append(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
  document.body.dataset.ready = 'true';
  requestAnimationFrame(() => performance.mark('mlxt-rendered'));
}

async function start(): Promise<void> {
  ({ experiments } = await api<{ experiments: Experiment[] }>('experiments'));
  window.addEventListener('hashchange', () => void route());
  await route();
}

void start();
