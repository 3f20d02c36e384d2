/**
 * `/flows/F/runs/R/steps/S/tasks/T[?attempt=N]`: one task. Every attempt (status, times, exit
 * reason, error), the shown attempt's output (live while it runs; the page is read again when the
 * attempt is over), its artifacts with previews fit to their values (the card viewer's), and its cards.
 */
import { html, type VNode } from '../../../cards/web/h.js';
import { formatBytes } from '../../../cards/web/format.js';
import { isInline, Preview } from '../../../cards/web/preview.js';
import type { ArtifactView, AttemptSummary, TaskResponse } from '../../api/task-types.js';
import { Crumbs, Failure, Loading, Status, Took, When } from '../bits.js';
import { useApi } from '../data.js';
import { flowHref, hrefOf, runHref, taskHref } from '../router.js';
import { CardsPanel } from './task-cards.js';
import { LogPanel } from './task-logs.js';
import { taskDataBase, taskDataUrl } from '../../data-urls.js';
import './task.css';

function ExitReason({ a }: { a: AttemptSummary }): VNode {
  if (a.status === 'running') return html`<span class="muted">running</span>`;
  if (a.status === 'succeeded') return html`<span class="ok">finished</span>`;
  return html`<span class="bad mono">${a.exception?.type ?? (a.lost ? 'RunLost' : 'failed')}</span>`;
}

function Attempts({ attempts, shown, href }: { attempts: AttemptSummary[]; shown: number; href: (n: number) => string }): VNode {
  if (attempts.length === 0) return html`<div class="empty">The task has not started an attempt yet.</div>`;
  return html`<table class="grid attempts">
    <thead><tr><th>Attempt</th><th>Status</th><th>Started</th><th>Took</th><th>Exit</th><th>Error</th></tr></thead>
    <tbody>${attempts.map((a) => html`<tr data-attempt=${a.attempt} class=${a.attempt === shown ? 'shown' : ''}>
      <td>${a.attempt === shown ? html`<span class="strong">#${a.attempt} · shown</span>` : html`<a href=${href(a.attempt)}>#${a.attempt}</a>`}</td>
      <td><${Status} status=${a.status} lost=${a.lost} /></td>
      <td><${When} ms=${a.startedAt} /></td>
      <td>${a.startedAt === null ? null : html`<${Took} from=${a.startedAt} to=${a.finishedAt} />`}</td>
      <td><${ExitReason} a=${a} /></td>
      <td class="err">${a.exception
        ? html`<details><summary>${a.exception.message || a.exception.type}</summary>${a.exception.stack ? html`<pre class="stack">${a.exception.stack}</pre>` : null}</details>`
        : html`<span class="muted">—</span>`}</td>
    </tr>`)}</tbody>
  </table>`;
}

function Artifact({ a }: { a: ArtifactView }): VNode {
  const corrupt = a.preview.kind === 'unavailable' && a.preview.code === 'CORRUPT_BLOB';
  const inline = !corrupt && isInline(a.preview);
  return html`<div class=${corrupt ? 'artifact corrupt' : inline ? 'artifact inline' : 'artifact'} data-artifact=${a.name}>
    <div class="artifact-head">
      <span class="strong mono">${a.name}</span>
      <span class="cc-type">${a.type}</span>
      <span class="cc-size">${formatBytes(a.size)}</span>
      ${corrupt ? html`<span class="badge s-failed">integrity error</span>` : null}
      ${inline ? html`<span class="artifact-inline"><${Preview} p=${a.preview} /></span>` : null}
      <span class="sha mono" title=${`content hash ${a.sha} (${a.encoding})`}>${a.sha.slice(0, 10)}</span>
    </div>
    ${inline ? null : html`<div class="artifact-body"><${Preview} p=${a.preview} /></div>`}
  </div>`;
}

function Facts({ data }: { data: TaskResponse }): VNode {
  const t = data.task;
  const f = t.foreach;
  return html`<section class="facts">
    <div><label>Attempt shown</label>#${t.attempt} of ${data.attempts.length || 1}</div>
    <div><label>Started</label><${When} ms=${t.startedAt ?? t.createdAt} /></div>
    <div><label>Took</label><${Took} from=${t.startedAt ?? t.createdAt} to=${t.finishedAt} /></div>
    ${f ? html`<div><label>Foreach</label>${`${f.var}[${f.index}]`} <span class="muted">(${f.index + 1} of ${f.numSplits})</span></div>` : null}
    ${t.parents.length
      ? html`<div><label>Ran after</label><span class="links">${t.parents.slice(0, 8).map((p) => {
          const [fl, r, s, id] = p.split('/') as [string, string, string, string];
          return html`<a class="mono" href=${taskHref(fl, r, s, id)}>${s}/${id}</a>`;
        })}${t.parents.length > 8 ? html`<span class="muted">+${t.parents.length - 8} more</span>` : null}</span></div>`
      : null}
    ${t.originPathspec ? html`<div><label>Cloned from</label><span class="mono">${t.originPathspec}</span></div>` : null}
  </section>`;
}

export function TaskPage({ flow, runId, step, taskId, query }: { flow: string; runId: string; step: string; taskId: string; query: URLSearchParams }): VNode {
  const page = taskHref(flow, runId, step, taskId);
  const base = taskDataBase(flow, runId, step, taskId);
  const attemptParam = query.get('attempt');
  const { data, error, reload } = useApi<TaskResponse>(taskDataUrl(flow, runId, step, taskId, attemptParam));
  const running = data?.task.status === 'running';
  if (error && !data) return html`<${Failure} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  const t = data.task;
  const attemptHref = (n: number) => `${page}?attempt=${n}`;
  return html`<div class="page task-page">
    <${Crumbs} items=${[['Flows', '/'], [flow, flowHref(flow)], [runId, runHref(flow, runId)], [step, `${runHref(flow, runId)}#${encodeURIComponent(step)}`], [taskId]]} />
    <header class="page-head">
      <h1 class="mono">${step}/${taskId}</h1>
      <${Status} status=${t.status} lost=${t.lost} />
      ${t.foreach ? html`<span class="task-input" title=${`the foreach input: element ${t.foreach.index} of ${t.foreach.var}`}><span class="muted mono">${t.foreach.var}[${t.foreach.index}]</span> ${t.foreach.value !== undefined ? html`<span class="mono strong">${t.foreach.value}</span>` : null}</span>` : null}
      <span class="muted mono small">${t.pathspec}</span>
      <a class="btn" href=${hrefOf('flows', flow, 'runs', runId)}>← Run</a>
    </header>
    <${Facts} data=${data} />
    ${t.exception ? html`<div class="task-error"><b class="mono">${t.exception.type}</b> ${t.exception.message}</div>` : null}
    <section class="panel">
      <h2>Attempts <span class="count">${data.attempts.length}</span></h2>
      <${Attempts} attempts=${data.attempts} shown=${t.attempt} href=${attemptHref} />
    </section>
    <${LogPanel} base=${base} attempt=${t.attempt} onEnd=${running ? reload : undefined} />
    <section class="panel artifacts">
      <h2>Artifacts <span class="count">${data.artifacts.length}</span></h2>
      ${data.artifactsNote ? html`<div class="empty">${data.artifactsNote}</div>` : data.artifacts.map((a) => html`<${Artifact} key=${a.name} a=${a} />`)}
    </section>
    <${CardsPanel} base=${base} attempt=${t.attempt} cards=${data.cards} running=${running} />
  </div>`;
}
