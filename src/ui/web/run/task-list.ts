/**
 * The tasks of one step, as a virtualised list: only the rows in view are in the page, so a
 * 10,000-way foreach scrolls as fast as a step of three. Each foreach task shows its index and
 * input value; a filter box narrows the list by id, value, status or error.
 */
import { useMemo, useState } from 'preact/hooks';
import { html, type VNode } from '../../../cards/web/h.js';
import type { StepSummary, TaskSummary } from '../../api/types.js';
import { Status, Took } from '../bits.js';
import { taskHref } from '../router.js';

const ROW_H = 34;
const VIEW_ROWS = 14;
const OVERSCAN = 8;

function matches(t: TaskSummary, q: string): boolean {
  if (!q) return true;
  const hay = [t.id, t.status, t.lost ? 'lost' : '', t.foreach ? `#${t.foreach.index}` : '', t.foreach?.value ?? '', t.exception?.type ?? '', t.exception?.message ?? ''];
  return hay.some((s) => s.toLowerCase().includes(q));
}

export function TaskList({ step, flow, runId }: { step: StepSummary; flow: string; runId: string }): VNode {
  const [scroll, setScroll] = useState(0);
  const [filter, setFilter] = useState('');
  const q = filter.trim().toLowerCase();
  const tasks = useMemo(() => (q ? step.tasks.filter((t) => matches(t, q)) : step.tasks), [step.tasks, q]);
  const counts = useMemo(() => {
    const c = { succeeded: 0, failed: 0, running: 0 };
    for (const t of step.tasks) c[t.status]++;
    return c;
  }, [step.tasks]);
  const first = Math.max(0, Math.floor(scroll / ROW_H) - OVERSCAN);
  const last = Math.min(tasks.length, Math.ceil((scroll + VIEW_ROWS * ROW_H) / ROW_H) + OVERSCAN);
  const shown = tasks.slice(first, last);
  const height = Math.min(tasks.length, VIEW_ROWS) * ROW_H;
  return html`<div class="task-list" data-step=${step.name}>
    <div class="task-list-head">
      <span class="strong mono">${step.name}</span>
      <${Status} status=${step.state} />
      <span class="muted small">${step.taskCount.toLocaleString('en-US')} task${step.taskCount === 1 ? '' : 's'}: ${counts.succeeded.toLocaleString('en-US')} succeeded${counts.failed ? `, ${counts.failed.toLocaleString('en-US')} failed` : ''}${counts.running ? `, ${counts.running.toLocaleString('en-US')} running` : ''}</span>
      <span class="grow"></span>
      ${step.tasks.length > 8 ? html`<input class="task-filter" type="search" placeholder="Filter by id, value, status, error" value=${filter} onInput=${(e: Event) => { setFilter((e.target as HTMLInputElement).value); setScroll(0); }} />` : null}
    </div>
    ${tasks.length === 0
      ? html`<div class="muted small pad">${step.tasks.length ? 'No task matches the filter.' : 'No task has started yet.'}</div>`
      : html`<div class="task-rows" style=${`height:${height}px`} onScroll=${(e: Event) => setScroll((e.currentTarget as HTMLElement).scrollTop)}>
          <div style=${`height:${tasks.length * ROW_H}px;position:relative`}>
            ${shown.map((t, i) => html`<div class="task-row" data-task=${t.id} key=${t.pathspec} style=${`top:${(first + i) * ROW_H}px;height:${ROW_H}px`}>
              <a class="mono strong" href=${taskHref(flow, runId, step.name, t.id)}>${t.id}</a>
              ${t.foreach ? html`<span class="fe" title=${`${t.foreach.var}[${t.foreach.index}] of ${t.foreach.numSplits}`}><span class="fe-i">#${t.foreach.index}</span>${t.foreach.value !== undefined ? html` <span class="fe-v mono">${t.foreach.value}</span>` : null}</span>` : html`<span class="fe"></span>`}
              <${Status} status=${t.status} lost=${t.lost} />
              <${Took} from=${t.createdAt} to=${t.finishedAt} />
              ${t.attempt > 0 ? html`<span class="muted small">attempt ${t.attempt + 1}</span>` : null}
              ${t.exception ? html`<span class="exc" title=${t.exception.message}><b>${t.exception.type}</b> ${t.exception.message}</span>` : null}
            </div>`)}
          </div>
        </div>`}
  </div>`;
}
