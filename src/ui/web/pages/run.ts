/**
 * `/flows/F/runs/R`: one run as it goes. Its graph (nodes coloured by state; click one to list its
 * tasks, kept in the URL as `?step=`), its timeline, the tasks of the step chosen, its parameters and
 * tags, and the steps running now; all of it follows the run live until it is over.
 */
import { useMemo } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import { DagView } from '../../../cards/web/dag.js';
import type { RunResponse, StepSummary } from '../../api/types.js';
import { Crumbs, Failure, Loading, Params, Status, Tags, Took, When } from '../bits.js';
import { useLiveRun } from '../live-run.js';
import { flowHref, navigate, runHref, useLocation } from '../router.js';
import { TaskList } from '../run/task-list.js';
import { Timeline } from '../run/timeline.js';

/** What the graph shows of each step: its state, a badge of task counts, and foreach fan-outs. */
function graphMarks(data: RunResponse): { states: Record<string, string>; badges: Record<string, string>; fanOut: Record<string, number> } {
  const states: Record<string, string> = {};
  const badges: Record<string, string> = {};
  const fanOut: Record<string, number> = {};
  const byName = new Map(data.steps.map((s) => [s.name, s]));
  for (const s of data.steps) {
    states[s.name] = s.state;
    if (s.taskCount > 1) {
      const done = s.tasks.filter((t) => t.status === 'succeeded').length;
      badges[s.name] = done === s.taskCount ? s.taskCount.toLocaleString('en-US') : `${done.toLocaleString('en-US')}/${s.taskCount.toLocaleString('en-US')}`;
    }
  }
  for (const g of data.graph?.steps ?? []) {
    if (!g.foreach || !g.out[0]) continue;
    const target = byName.get(g.out[0]);
    const split = byName.get(g.name);
    if (!target) continue;
    const planned = (target.tasks[0]?.foreach?.numSplits ?? 0) * (split?.taskCount ?? 1);
    fanOut[g.name] = Math.max(target.taskCount, planned);
  }
  return { states, badges, fanOut };
}

function StepsOverview({ steps, select }: { steps: StepSummary[]; select: (s: string) => void }): VNode {
  return html`<table class="grid steps">
    <thead><tr><th>Step</th><th>State</th><th class="num">Tasks</th><th>Started</th><th>Took</th></tr></thead>
    <tbody>${steps.map((s) => html`<tr class="step" data-step=${s.name}>
      <td><button type="button" class="linkish mono strong" onClick=${() => select(s.name)}>${s.name}</button></td>
      <td><${Status} status=${s.state} /></td>
      <td class="num">${s.taskCount.toLocaleString('en-US')}</td>
      <td><${When} ms=${s.createdAt} /></td>
      <td><${Took} from=${s.createdAt} to=${s.finishedAt} /></td>
    </tr>`)}</tbody>
  </table>`;
}

export function RunPage({ flow, runId }: { flow: string; runId: string }): VNode {
  const { data, error, live } = useLiveRun(flow, runId);
  const { query } = useLocation();
  const selected = query.get('step') ?? undefined;
  const marks = useMemo(() => (data ? graphMarks(data) : undefined), [data]);
  if (error) return html`<${Failure} error=${error} />`;
  if (!data || !marks) return html`<${Loading} />`;
  const { run, steps, graph } = data;
  const select = (step: string | undefined) => {
    const href = step === undefined || step === selected ? runHref(flow, run.id) : `${runHref(flow, run.id)}?step=${encodeURIComponent(step)}`;
    navigate(href, { replace: true, scroll: false });
  };
  const chosen = selected !== undefined ? steps.find((s) => s.name === selected) : undefined;
  return html`<div class="page run-page" data-live=${live ? 'yes' : 'no'}>
    <${Crumbs} items=${[['Flows', '/'], [flow, flowHref(flow)], [run.id]]} />
    <header class="page-head">
      <h1 class="mono">${flow}/${run.id}</h1>
      <${Status} status=${run.status} lost=${run.lost} />
      ${live ? html`<span class="live-pill" title="This page follows the run as it goes"><span class="pulse"></span>live</span>` : null}
    </header>
    <section class="facts">
      <div><label>User</label>${run.user}</div>
      <div><label>Started</label><${When} ms=${run.createdAt} /></div>
      <div><label>Took</label><${Took} from=${run.createdAt} to=${run.finishedAt} /></div>
      <div><label>Parameters</label><${Params} params=${run.parameters} /></div>
      <div><label>Tags</label><${Tags} tags=${run.tags} system=${run.systemTags} /></div>
      ${run.originRunId ? html`<div><label>Resumed</label><a class="mono" href=${runHref(flow, run.originRunId)}>${run.originRunId}</a></div>` : null}
      ${data.currentSteps.length ? html`<div class="now"><label>Now running</label><span class="mono">${data.currentSteps.join(', ')}</span></div>` : null}
    </section>
    <div class="run-grid">
      <section class="panel graph-panel">
        <h2>Graph ${selected ? html`<button type="button" class="linkish small" onClick=${() => select(undefined)}>show all steps</button>` : null}</h2>
        ${graph
          ? html`<${DagView} steps=${graph.steps} highlight=${selected} states=${marks.states} badges=${marks.badges} fanOut=${marks.fanOut} onSelect=${select} />`
          : html`<div class="muted small">This run was recorded without its graph (by an older cairn).</div>`}
        <div class="legend small"><span class="key st-succeeded"></span>succeeded <span class="key st-running"></span>running <span class="key st-failed"></span>failed <span class="key st-none"></span>not started</div>
      </section>
      <section class="panel tasks-panel">
        <h2>${chosen ? 'Tasks' : 'Steps'}</h2>
        ${chosen
          ? html`<${TaskList} key=${chosen.name} step=${chosen} flow=${flow} runId=${run.id} />`
          : selected !== undefined
            ? html`<div class="muted">Step <span class="mono">${selected}</span> has not started${run.status === 'running' ? ' yet' : ''}.</div>`
            : html`<${StepsOverview} steps=${steps} select=${select} />`}
      </section>
    </div>
    <section class="panel">
      <h2>Timeline</h2>
      <${Timeline} steps=${steps} live=${live} flow=${flow} runId=${run.id} />
    </section>
  </div>`;
}
