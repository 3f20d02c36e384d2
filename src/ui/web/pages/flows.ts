/** `/`: every flow, with its last run, its run counts and its last success. */
import { html, type VNode } from '../../../cards/web/h.js';
import type { FlowsResponse } from '../../api/types.js';
import { Failure, Loading, Status, Took, When } from '../bits.js';
import { useApi } from '../data.js';
import { flowHref, runHref } from '../router.js';
import { flowsDataUrl } from '../../data-urls.js';

export function FlowsPage(): VNode {
  const { data, error } = useApi<FlowsResponse>(flowsDataUrl());
  if (error) return html`<${Failure} error=${error} />`;
  if (!data) return html`<${Loading} />`;
  return html`<div class="page">
    <header class="page-head"><h1>Flows</h1><span class="muted small">${data.store.metadata}</span></header>
    ${data.flows.length === 0
      ? html`<div class="empty">No runs in this store yet. Run a flow (<code>cairn run flow.ts</code>) and reload.</div>`
      : html`<table class="grid flows">
          <thead><tr><th>Flow</th><th>Last run</th><th>Status</th><th>Started</th><th>Took</th><th class="num">Runs</th><th class="num">Succeeded</th><th class="num">Failed</th><th>Last success</th></tr></thead>
          <tbody>${data.flows.map((f) => html`<tr>
            <td><a class="strong" href=${flowHref(f.name)}>${f.name}</a></td>
            <td>${f.lastRun ? html`<a class="mono" href=${runHref(f.name, f.lastRun.id)}>${f.lastRun.id}</a>` : '—'}</td>
            <td>${f.lastRun ? html`<${Status} status=${f.lastRun.status} lost=${f.lastRun.lost} />` : null}</td>
            <td>${f.lastRun ? html`<${When} ms=${f.lastRun.createdAt} />` : null}</td>
            <td>${f.lastRun ? html`<${Took} from=${f.lastRun.createdAt} to=${f.lastRun.finishedAt} />` : null}</td>
            <td class="num">${f.counts.runs.toLocaleString('en-US')}</td>
            <td class="num ok">${f.counts.succeeded.toLocaleString('en-US')}</td>
            <td class="num bad">${f.counts.failed.toLocaleString('en-US')}</td>
            <td>${f.lastSuccess ? html`<a class="mono" href=${runHref(f.name, f.lastSuccess.id)}>${f.lastSuccess.id}</a> <span class="muted small"><${When} ms=${f.lastSuccess.createdAt} /></span>` : html`<span class="muted">never</span>`}</td>
          </tr>`)}</tbody>
        </table>`}
  </div>`;
}
