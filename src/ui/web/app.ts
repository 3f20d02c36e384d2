/**
 * The web UI's front end (`dist/ui/app.js`, with `app.css`): one page per URL, each reading the
 * UI's JSON API. Every value from the store is rendered as text by Preact; nothing is fetched from
 * anywhere but the UI server.
 */
import { render } from 'preact';
import { html, type VNode } from '../../cards/web/h.js';
import '../../cards/web/viewer.css';
import './app.css';
import { interceptLinks, useLocation } from './router.js';
import { FlowsPage } from './pages/flows.js';
import { RunsPage } from './pages/runs.js';
import { RunPage } from './pages/run.js';
import { TaskPage } from './pages/task.js';
import { ComparePage } from './pages/compare.js';

function segments(path: string): string[] | undefined {
  try {
    return path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function NotFound(): VNode {
  return html`<div class="notfound"><h1>Not found</h1><p>The UI has no page at <code>${location.pathname}</code>.</p><p><a href="/">All flows</a></p></div>`;
}

function Route(): VNode {
  const { path, query } = useLocation();
  const seg = segments(path) ?? ['?'];
  const [a, flow, b, runId, c, step, d, taskId] = seg;
  let page: VNode;
  if (seg.length === 0) page = html`<${FlowsPage} />`;
  else if (a === 'flows' && flow && seg.length === 2) page = html`<${RunsPage} key=${flow} flow=${flow} query=${query} />`;
  else if (a === 'flows' && flow && b === 'runs' && runId && seg.length === 4) page = html`<${RunPage} key=${`${flow}/${runId}`} flow=${flow} runId=${runId} />`;
  else if (a === 'flows' && flow && b === 'runs' && runId && c === 'steps' && step && d === 'tasks' && taskId && seg.length === 8) page = html`<${TaskPage} key=${path} flow=${flow} runId=${runId} step=${step} taskId=${taskId} query=${query} />`;
  else if (a === 'flows' && flow && b === 'compare' && seg.length === 3) page = html`<${ComparePage} key=${flow} flow=${flow} query=${query} />`;
  else page = html`<${NotFound} />`;
  return html`<div class="shell">
    <header class="top"><a class="brand" href="/"><span class="logo"></span>cairn</a><nav><a href="/">Flows</a></nav></header>
    <main>${page}</main>
  </div>`;
}

interceptLinks();
const root = document.getElementById('app')!;
root.textContent = '';
render(html`<${Route} />`, root);
