/** `/flows/F/runs/R`: one run, its parameters and tags, its steps and their tasks. */
import { html, type VNode } from '../../../cards/web/h.js';
import type { RunResponse } from '../../api/types.js';
import { Crumbs, Failure, Loading, Params, Status, Tags, Took, When } from '../bits.js';
import { useApi } from '../data.js';
import { flowHref, taskHref } from '../router.js';

export function RunPage({ flow, runId }: { flow: string; runId: string }): VNode {
  const { data, error } = useApi<RunResponse>(`/api/flows/${encodeURIComponent(flow)}/runs/${encodeURIComponent(runId)}`);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  const { run, steps } = data;
  return html`<div class="page">
    <${Crumbs} items=${[['Flows', '/'], [flow, flowHref(flow)], [run.id]]} />
    <header class="page-head">
      <h1 class="mono">${flow}/${run.id}</h1>
      <${Status} status=${run.status} lost=${run.lost} />
    </header>
    <section class="facts">
      <div><label>User</label>${run.user}</div>
      <div><label>Started</label><${When} ms=${run.createdAt} /></div>
      <div><label>Took</label><${Took} from=${run.createdAt} to=${run.finishedAt} /></div>
      <div><label>Parameters</label><${Params} params=${run.parameters} /></div>
      <div><label>Tags</label><${Tags} tags=${run.tags} system=${run.systemTags} /></div>
      ${data.currentSteps.length ? html`<div><label>Now running</label>${data.currentSteps.join(', ')}</div>` : null}
    </section>
    <section class="panel">
      <h2>Steps</h2>
      ${steps.map((s) => html`<div class="step" data-step=${s.name}>
        <div class="step-head"><span class="strong mono">${s.name}</span><${Status} status=${s.state} /><span class="muted small">${s.taskCount} task${s.taskCount === 1 ? '' : 's'}</span></div>
        <ul class="tasks">${s.tasks.map((t) => html`<li><a class="mono" href=${taskHref(flow, run.id, s.name, t.id)}>${t.id}</a> <${Status} status=${t.status} lost=${t.lost} /> <${Took} from=${t.createdAt} to=${t.finishedAt} /></li>`)}</ul>
      </div>`)}
    </section>
  </div>`;
}
